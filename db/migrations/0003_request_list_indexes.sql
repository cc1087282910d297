DROP INDEX `pr_sent_idx`;--> statement-breakpoint
CREATE INDEX `pr_status_sent_idx` ON `payment_requests` (`status`,`sent_at`,`id`);--> statement-breakpoint
CREATE INDEX `pr_channel_sent_idx` ON `payment_requests` (`channel`,`sent_at`,`id`);--> statement-breakpoint
CREATE INDEX `pr_currency_amount_idx` ON `payment_requests` (`currency`,`amount`,`id`);--> statement-breakpoint
CREATE INDEX `pr_closed_idx` ON `payment_requests` (`closed_at`,`id`);--> statement-breakpoint
CREATE INDEX `pr_expires_idx` ON `payment_requests` (`expires_at`,`id`);--> statement-breakpoint
CREATE INDEX `pr_team_agent_sent_idx` ON `payment_requests` (`team_id`,`agent_id`,`sent_at`,`id`);--> statement-breakpoint
CREATE INDEX `pr_sent_idx` ON `payment_requests` (`sent_at`,`id`);