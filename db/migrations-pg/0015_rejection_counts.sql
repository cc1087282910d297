-- The ingestion-health page without walking rejected events (see the SQLite migration 0026).
CREATE TABLE "rejection_codes" (
	"code" text PRIMARY KEY NOT NULL,
	"events" bigint NOT NULL
);
--> statement-breakpoint
ALTER TABLE "event_receipts" ADD COLUMN "rejected" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
CREATE INDEX "rejected_code_idx" ON "rejected_events" USING btree ("code","seq");--> statement-breakpoint
INSERT INTO "rejection_codes" ("code", "events") SELECT "code", count(*) FROM "rejected_events" GROUP BY "code";--> statement-breakpoint
INSERT INTO "event_receipts" ("minute", "events", "rejected")
SELECT "received_at" - "received_at" % 60000, 0, count(*) FROM "rejected_events"
WHERE "received_at" >= (extract(epoch FROM now()) * 1000)::bigint - 86400000
GROUP BY 1
ON CONFLICT ("minute") DO UPDATE SET "rejected" = excluded."rejected";
