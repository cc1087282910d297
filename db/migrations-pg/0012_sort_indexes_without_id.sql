-- Issue 14 (disk): the id out of eight sort indexes whose ties are rare (db/schema.ts says why and
-- which keep it). A page still orders by the sort's columns then id: the database sorts each run of
-- equal values as it walks the index. About 70 bytes a request at 1M on SQLite.
DROP INDEX "pr_sent_idx";--> statement-breakpoint
DROP INDEX "pr_team_sent_idx";--> statement-breakpoint
DROP INDEX "pr_agent_sent_idx";--> statement-breakpoint
DROP INDEX "pr_status_sent_idx";--> statement-breakpoint
DROP INDEX "pr_channel_sent_idx";--> statement-breakpoint
DROP INDEX "pr_closed_idx";--> statement-breakpoint
DROP INDEX "pr_expires_idx";--> statement-breakpoint
DROP INDEX "pr_team_agent_sent_idx";--> statement-breakpoint
CREATE INDEX "pr_sent_idx" ON "payment_requests" USING btree ("sent_at");--> statement-breakpoint
CREATE INDEX "pr_team_sent_idx" ON "payment_requests" USING btree ("team_id","sent_at");--> statement-breakpoint
CREATE INDEX "pr_agent_sent_idx" ON "payment_requests" USING btree ("agent_id","sent_at");--> statement-breakpoint
CREATE INDEX "pr_status_sent_idx" ON "payment_requests" USING btree ("status","sent_at");--> statement-breakpoint
CREATE INDEX "pr_channel_sent_idx" ON "payment_requests" USING btree ("channel","sent_at");--> statement-breakpoint
CREATE INDEX "pr_closed_idx" ON "payment_requests" USING btree ("closed_at");--> statement-breakpoint
CREATE INDEX "pr_expires_idx" ON "payment_requests" USING btree ("expires_at");--> statement-breakpoint
CREATE INDEX "pr_team_agent_sent_idx" ON "payment_requests" USING btree ("team_id","agent_id","sent_at");