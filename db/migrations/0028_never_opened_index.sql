-- Issue 14 (disk): openedAt's index without the id, and without its NULL run (db/schema.ts): the
-- never opened (17% of requests) go to an index of their own by id, which the request list reads a
-- page at a time as it reads the never sent (plan.server.ts, NULL_RUN_INDEXES); the opened are in
-- opened_at order alone, their rare ties sorted by id as the list walks them. SQLite only: PostgreSQL
-- keeps (opened_at, id).
DROP INDEX `pr_opened_idx`;--> statement-breakpoint
CREATE INDEX `pr_never_opened_idx` ON `payment_requests` (`id`) WHERE opened_at IS NULL;--> statement-breakpoint
CREATE INDEX `pr_opened_idx` ON `payment_requests` (`opened_at`) WHERE opened_at IS NOT NULL;