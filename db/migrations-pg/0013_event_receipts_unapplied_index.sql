-- Ingestion health without walking every event (see the SQLite migration 0024).
CREATE TABLE "event_receipts" (
	"minute" bigint NOT NULL,
	"events" integer NOT NULL,
	CONSTRAINT "event_receipts_minute_pk" PRIMARY KEY("minute")
);
--> statement-breakpoint
CREATE INDEX "events_unapplied_idx" ON "events" USING btree ("request_id") WHERE applied = false;--> statement-breakpoint
INSERT INTO "event_receipts" ("minute", "events")
SELECT "received_at" - "received_at" % 60000, count(*) FROM "events"
WHERE "received_at" >= (extract(epoch FROM now()) * 1000)::bigint - 86400000
GROUP BY 1;
