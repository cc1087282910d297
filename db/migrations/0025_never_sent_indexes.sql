-- The never sent (sent_at NULL) apart, in the orders their readers need (db/schema.ts): the request
-- list's never-sent rows by id (a page instead of a sort of them all), an agent's by created_at (the
-- agent console's newest cards).
CREATE INDEX `pr_never_sent_idx` ON `payment_requests` (`id`) WHERE sent_at IS NULL;--> statement-breakpoint
CREATE INDEX `pr_agent_never_sent_idx` ON `payment_requests` (`agent_id`,`created_at`) WHERE sent_at IS NULL;
