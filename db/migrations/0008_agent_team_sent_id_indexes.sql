DROP INDEX `pr_team_sent_idx`;--> statement-breakpoint
DROP INDEX `pr_agent_sent_idx`;--> statement-breakpoint
CREATE INDEX `pr_team_sent_idx` ON `payment_requests` (`team_id`,`sent_at`,`id`);--> statement-breakpoint
CREATE INDEX `pr_agent_sent_idx` ON `payment_requests` (`agent_id`,`sent_at`,`id`);