-- The never sent apart (see the SQLite migration 0025).
CREATE INDEX "pr_never_sent_idx" ON "payment_requests" USING btree ("id") WHERE sent_at IS NULL;--> statement-breakpoint
CREATE INDEX "pr_agent_never_sent_idx" ON "payment_requests" USING btree ("agent_id","created_at") WHERE sent_at IS NULL;
