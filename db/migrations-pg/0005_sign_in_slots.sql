CREATE TABLE "sign_in_slots" (
	"account" text PRIMARY KEY NOT NULL,
	"next_at" bigint NOT NULL
);
