CREATE TABLE `request_conversations` (
	`request_id` text PRIMARY KEY NOT NULL,
	`conversation_id` text NOT NULL,
	`created_at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `request_conversations_conversation_idx` ON `request_conversations` (`conversation_id`,`created_at`);