-- Issue 14: SQLite's agent-first day rollups take their deltas in a day-first table of pending cells
-- first (db/metrics-rollups.ts: PENDING_ROLLUPS); the writers fold them into the agent tables once they
-- number PENDING_FOLD_ROWS, and a cell is its row in both (readers read both). Empty here: nothing is
-- pending before this migration. SQLite only: PostgreSQL writes the agent tables directly.
CREATE TABLE `metrics_rollup_agent_day_pending` (
	`bucket` integer NOT NULL,
	`agent_id` text NOT NULL,
	`team_id` text NOT NULL,
	`currency` text NOT NULL,
	`counts` text DEFAULT '' NOT NULL,
	`paid_amount` integer DEFAULT 0 NOT NULL,
	PRIMARY KEY(`bucket`, `agent_id`, `team_id`, `currency`)
) WITHOUT ROWID;--> statement-breakpoint
CREATE TABLE `metrics_rollup_agent_channel_day_pending` (
	`bucket` integer NOT NULL,
	`agent_id` text NOT NULL,
	`channel` text NOT NULL,
	`team_id` text NOT NULL,
	`currency` text NOT NULL,
	`counts` text DEFAULT '' NOT NULL,
	`paid_amount` integer DEFAULT 0 NOT NULL,
	PRIMARY KEY(`bucket`, `agent_id`, `channel`, `team_id`, `currency`)
) WITHOUT ROWID;
