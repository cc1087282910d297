PRAGMA foreign_keys=OFF;--> statement-breakpoint
CREATE TABLE `__new_events` (
	`seq` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`id` text NOT NULL,
	`request_id` text NOT NULL,
	`type` text NOT NULL,
	`occurred_at` integer NOT NULL,
	`received_at` integer NOT NULL,
	`source` text NOT NULL,
	`content_hash` blob,
	`body` text NOT NULL,
	`applied` integer DEFAULT false NOT NULL,
	`anomaly` text,
	`link_ttl_ms` integer
);
--> statement-breakpoint
-- Hand-edited (issue 14's disk): each row converted as db/event-rows.ts stores new ones. The content
-- hash from 64 hex characters to its 32 bytes; the body without id, type and paymentRequest.id,
-- and without occurredAt when it is the canonical ISO form of occurred_at; what remains in the
-- order occurredAt (if kept), paymentRequest (if anything is left of it), the other keys as they were.
INSERT INTO `__new_events`("seq", "id", "request_id", "type", "occurred_at", "received_at", "source", "content_hash", "body", "applied", "anomaly", "link_ttl_ms")
SELECT "seq", "id", "request_id", "type", "occurred_at", "received_at", "source", unhex("content_hash"),
  '{' || rtrim(
    kept_occurred_at
      || CASE WHEN details = '{}' THEN '' ELSE '"paymentRequest":' || details || ',' END
      || substr(rest, 2, length(rest) - 2),
    ',') || '}',
  "applied", "anomaly", "link_ttl_ms"
FROM (
  SELECT *,
    CASE WHEN json_extract("body", '$.occurredAt')
        = replace(datetime("occurred_at" / 1000, 'unixepoch'), ' ', 'T') || printf('.%03dZ', "occurred_at" % 1000)
      THEN '' ELSE '"occurredAt":' || json_quote(json_extract("body", '$.occurredAt')) || ',' END AS kept_occurred_at,
    json_remove(json_extract("body", '$.paymentRequest'), '$.id') AS details,
    json_remove("body", '$.id', '$.type', '$.occurredAt', '$.paymentRequest') AS rest
  FROM `events`
)
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