CREATE TABLE "payment_claims" (
	"request_id" text PRIMARY KEY NOT NULL,
	"holder" text NOT NULL,
	"claimed_at" bigint NOT NULL
);
