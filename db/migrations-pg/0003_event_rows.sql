-- Issue 14's disk, as SQLite's 0013: the content hash as its 32 bytes (null when the stored body
-- gives the event back), events by request_id alone. Bodies are not slimmed here: the app does not
-- run on PostgreSQL yet (docs/postgres.md), so no PostgreSQL database holds events written before
-- db/event-rows.ts.
DROP INDEX "events_request_idx";--> statement-breakpoint
ALTER TABLE "events" ALTER COLUMN "content_hash" SET DATA TYPE bytea USING decode("content_hash", 'hex');--> statement-breakpoint
ALTER TABLE "events" ALTER COLUMN "content_hash" DROP NOT NULL;--> statement-breakpoint
CREATE INDEX "events_request_idx" ON "events" USING btree ("request_id");
