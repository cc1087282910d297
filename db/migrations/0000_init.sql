CREATE TABLE `agents` (
	`id` text PRIMARY KEY NOT NULL,
	`name` text NOT NULL,
	`team_id` text NOT NULL,
	`created_at` integer NOT NULL,
	FOREIGN KEY (`team_id`) REFERENCES `teams`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `agents_team_idx` ON `agents` (`team_id`);--> statement-breakpoint
CREATE TABLE `api_tokens` (
	`id` text PRIMARY KEY NOT NULL,
	`user_id` text NOT NULL,
	`name` text NOT NULL,
	`token_hash` text NOT NULL,
	`created_at` integer NOT NULL,
	`last_used_at` integer,
	`revoked_at` integer,
	FOREIGN KEY (`user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE UNIQUE INDEX `api_tokens_token_hash_unique` ON `api_tokens` (`token_hash`);--> statement-breakpoint
CREATE TABLE `events` (
	`seq` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`id` text NOT NULL,
	`request_id` text NOT NULL,
	`type` text NOT NULL,
	`occurred_at` integer NOT NULL,
	`received_at` integer NOT NULL,
	`source` text NOT NULL,
	`content_hash` text NOT NULL,
	`body` text NOT NULL,
	`applied` integer DEFAULT false NOT NULL,
	`anomaly` text
);
--> statement-breakpoint
CREATE UNIQUE INDEX `events_id_idx` ON `events` (`id`);--> statement-breakpoint
CREATE INDEX `events_request_idx` ON `events` (`request_id`,`occurred_at`);--> statement-breakpoint
CREATE TABLE `payment_requests` (
	`id` text PRIMARY KEY NOT NULL,
	`agent_id` text NOT NULL,
	`team_id` text NOT NULL,
	`amount` integer NOT NULL,
	`currency` text NOT NULL,
	`channel` text NOT NULL,
	`order_number` text NOT NULL,
	`reason` text NOT NULL,
	`customer_name` text,
	`customer_phone` text NOT NULL,
	`status` text NOT NULL,
	`created_at` integer NOT NULL,
	`sent_at` integer,
	`opened_at` integer,
	`paid_at` integer,
	`closed_at` integer,
	`expires_at` integer,
	`expiry_due_at` integer,
	`send_failures` integer DEFAULT 0 NOT NULL,
	`last_event_at` integer NOT NULL,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `pr_sent_idx` ON `payment_requests` (`sent_at`);--> statement-breakpoint
CREATE INDEX `pr_team_sent_idx` ON `payment_requests` (`team_id`,`sent_at`);--> statement-breakpoint
CREATE INDEX `pr_agent_sent_idx` ON `payment_requests` (`agent_id`,`sent_at`);--> statement-breakpoint
CREATE INDEX `pr_created_idx` ON `payment_requests` (`created_at`);--> statement-breakpoint
CREATE INDEX `pr_order_idx` ON `payment_requests` (`order_number`);--> statement-breakpoint
CREATE INDEX `pr_expiry_due_idx` ON `payment_requests` (`expiry_due_at`) WHERE expiry_due_at IS NOT NULL;--> statement-breakpoint
CREATE TABLE `rejected_events` (
	`seq` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`event_id` text,
	`received_at` integer NOT NULL,
	`source` text NOT NULL,
	`code` text NOT NULL,
	`path` text NOT NULL,
	`message` text NOT NULL,
	`raw` text NOT NULL
);
--> statement-breakpoint
CREATE INDEX `rejected_received_idx` ON `rejected_events` (`received_at`);--> statement-breakpoint
CREATE TABLE `settings` (
	`key` text PRIMARY KEY NOT NULL,
	`value` text NOT NULL
);
--> statement-breakpoint
CREATE TABLE `teams` (
	`id` text PRIMARY KEY NOT NULL,
	`name` text NOT NULL,
	`created_at` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `user_teams` (
	`user_id` text NOT NULL,
	`team_id` text NOT NULL,
	PRIMARY KEY(`user_id`, `team_id`),
	FOREIGN KEY (`user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`team_id`) REFERENCES `teams`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE TABLE `users` (
	`id` text PRIMARY KEY NOT NULL,
	`name` text NOT NULL,
	`email` text,
	`role` text NOT NULL,
	`password_hash` text,
	`agent_id` text,
	`is_service` integer DEFAULT false NOT NULL,
	`active` integer DEFAULT true NOT NULL,
	`created_at` integer NOT NULL,
	FOREIGN KEY (`agent_id`) REFERENCES `agents`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `users_email_unique` ON `users` (`email`);