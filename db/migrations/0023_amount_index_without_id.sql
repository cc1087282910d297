-- Issue 14 (disk): the amount index without the id (db/schema.ts says why): within a 30-day period a
-- price's run of ties is short, and the list sorts it by id as it walks. 13 bytes a request at 1M.
DROP INDEX `pr_period_currency_amount_idx`;--> statement-breakpoint
CREATE INDEX `pr_period_currency_amount_idx` ON `payment_requests` ((sent_at / 2592000000),`currency`,`amount`);