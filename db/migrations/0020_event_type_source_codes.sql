-- Issue 14 (disk): an event's type and source stored as small integer codes (db/event-codes.ts), with
-- `type` and `source` as VIRTUAL columns computed from them: about 100 bytes less a request (the type's
-- 23 characters and the source's few, on 4 events), and every read of `type` and `source` unchanged.
-- Hand-written (drizzle-kit would drop the text columns before reading them): the table is rebuilt as
-- 0013 rebuilt it, rows in seq order, the AUTOINCREMENT sequence kept.
PRAGMA foreign_keys=OFF;--> statement-breakpoint
CREATE TABLE `__new_events` (
	`seq` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`id` text NOT NULL,
	`request_id` text NOT NULL,
	`type_code` integer NOT NULL,
	`occurred_at` integer NOT NULL,
	`received_at` integer NOT NULL,
	`source_code` integer NOT NULL,
	`content_hash` blob,
	`body` text NOT NULL,
	`applied` integer DEFAULT false NOT NULL,
	`anomaly` text,
	`link_ttl_ms` integer,
	`type` text GENERATED ALWAYS AS (CASE type_code WHEN 0 THEN 'payment_request.created' WHEN 1 THEN 'payment_request.sent' WHEN 2 THEN 'payment_request.send_failed' WHEN 3 THEN 'payment_request.opened' WHEN 4 THEN 'payment_request.payment_failed' WHEN 5 THEN 'payment_request.paid' WHEN 6 THEN 'payment_request.declined' WHEN 7 THEN 'payment_request.expired' WHEN 8 THEN 'payment_request.canceled' WHEN 9 THEN 'payment_request.cancel_rejected' END) VIRTUAL NOT NULL,
	`source` text GENERATED ALWAYS AS (CASE source_code WHEN 0 THEN 'api' WHEN 1 THEN 'import' WHEN 2 THEN 'seed' WHEN 3 THEN 'system' WHEN 4 THEN 'agent_console' WHEN 5 THEN 'customer' WHEN 6 THEN 'provider' END) VIRTUAL NOT NULL
);
--> statement-breakpoint
INSERT INTO `__new_events`("seq", "id", "request_id", "type_code", "occurred_at", "received_at", "source_code", "content_hash", "body", "applied", "anomaly", "link_ttl_ms")
SELECT "seq", "id", "request_id", CASE "type" WHEN 'payment_request.created' THEN 0 WHEN 'payment_request.sent' THEN 1 WHEN 'payment_request.send_failed' THEN 2 WHEN 'payment_request.opened' THEN 3 WHEN 'payment_request.payment_failed' THEN 4 WHEN 'payment_request.paid' THEN 5 WHEN 'payment_request.declined' THEN 6 WHEN 'payment_request.expired' THEN 7 WHEN 'payment_request.canceled' THEN 8 WHEN 'payment_request.cancel_rejected' THEN 9 END, "occurred_at", "received_at",
  CASE "source" WHEN 'api' THEN 0 WHEN 'import' THEN 1 WHEN 'seed' THEN 2 WHEN 'system' THEN 3 WHEN 'agent_console' THEN 4 WHEN 'customer' THEN 5 WHEN 'provider' THEN 6 END, "content_hash", "body", "applied", "anomaly", "link_ttl_ms"
FROM `events`
ORDER BY "seq";--> statement-breakpoint
-- Keep the sequence where it was: the seq of events deleted at the end is not reused (the change feed).
UPDATE sqlite_sequence SET seq = max(seq, coalesce((SELECT seq FROM sqlite_sequence WHERE name = 'events'), 0))
WHERE name = '__new_events';--> statement-breakpoint
INSERT INTO sqlite_sequence (name, seq) SELECT '__new_events', seq FROM sqlite_sequence
WHERE name = 'events' AND NOT EXISTS (SELECT 1 FROM sqlite_sequence WHERE name = '__new_events');--> statement-breakpoint
DROP TABLE `events`;--> statement-breakpoint
ALTER TABLE `__new_events` RENAME TO `events`;--> statement-breakpoint
PRAGMA foreign_keys=ON;--> statement-breakpoint
CREATE UNIQUE INDEX `events_id_idx` ON `events` (`id`);--> statement-breakpoint
CREATE INDEX `events_request_idx` ON `events` (`request_id`);
