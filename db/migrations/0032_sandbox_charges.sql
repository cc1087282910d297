CREATE TABLE `sandbox_charges` (
	`idempotency_key` text PRIMARY KEY NOT NULL,
	`provider_reference` text NOT NULL,
	`amount` integer NOT NULL,
	`currency` text NOT NULL,
	`card_brand` text NOT NULL,
	`card_last4` text NOT NULL,
	`charged_at` integer NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `sandbox_charges_provider_reference_unique` ON `sandbox_charges` (`provider_reference`);