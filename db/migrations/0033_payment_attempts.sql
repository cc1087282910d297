CREATE TABLE `payment_attempts` (
	`id` text PRIMARY KEY NOT NULL,
	`request_id` text NOT NULL,
	`idempotency_key` text NOT NULL,
	`started_at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `payment_attempts_request_idx` ON `payment_attempts` (`request_id`);