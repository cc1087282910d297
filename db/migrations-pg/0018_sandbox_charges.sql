CREATE TABLE "sandbox_charges" (
	"idempotency_key" text PRIMARY KEY NOT NULL,
	"provider_reference" text NOT NULL,
	"amount" bigint NOT NULL,
	"currency" text NOT NULL,
	"card_brand" text NOT NULL,
	"card_last4" text NOT NULL,
	"charged_at" bigint NOT NULL,
	CONSTRAINT "sandbox_charges_provider_reference_unique" UNIQUE("provider_reference")
);
