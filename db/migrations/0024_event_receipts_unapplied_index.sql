-- Ingestion health without walking every event: event_receipts counts the events accepted per
-- minute of receipt (the writers add to it; db/event-receipts.ts), filled here from the last day of
-- events; events_unapplied_idx holds only the events no replay applied (orphans among them).
CREATE TABLE `event_receipts` (
	`minute` integer PRIMARY KEY NOT NULL,
	`events` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `events_unapplied_idx` ON `events` (`request_id`) WHERE applied = false;--> statement-breakpoint
INSERT INTO `event_receipts` (`minute`, `events`)
SELECT `received_at` - `received_at` % 60000, count(*) FROM `events`
WHERE `received_at` >= CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER) - 86400000
GROUP BY 1;
