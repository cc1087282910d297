-- The ingestion-health page without walking rejected events (db/schema.ts): rejection_codes counts
-- each code's rejected events ever, event_receipts the rejected of each minute beside the accepted
-- (the writers add to both; db/event-receipts.ts), rejected_code_idx serves the page's filter by code.
-- Filled here from what is stored: every code, and the last day's minutes.
CREATE TABLE `rejection_codes` (
	`code` text PRIMARY KEY NOT NULL,
	`events` integer NOT NULL
);
--> statement-breakpoint
ALTER TABLE `event_receipts` ADD `rejected` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
CREATE INDEX `rejected_code_idx` ON `rejected_events` (`code`,`seq`);--> statement-breakpoint
INSERT INTO `rejection_codes` (`code`, `events`) SELECT `code`, count(*) FROM `rejected_events` GROUP BY `code`;--> statement-breakpoint
INSERT INTO `event_receipts` (`minute`, `events`, `rejected`)
SELECT `received_at` - `received_at` % 60000, 0, count(*) FROM `rejected_events`
WHERE `received_at` >= CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER) - 86400000
GROUP BY 1
ON CONFLICT (`minute`) DO UPDATE SET `rejected` = excluded.`rejected`;
