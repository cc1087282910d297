-- The rollups move in the writer on PostgreSQL too (db/rollup-deltas.pg.ts), as on SQLite since its
-- migration 0014: the insert and update triggers go. A trigger moves the cells of each changed
-- request in the order its rows are written, so two instances' batches sharing cells could lock
-- them in opposite orders and deadlock; the writer locks them in one order. The delete trigger
-- stays. The rollups already stored are correct: nothing to rebuild.
DROP TRIGGER IF EXISTS metrics_rollup_insert ON payment_requests;--> statement-breakpoint
DROP FUNCTION IF EXISTS metrics_rollup_insert();--> statement-breakpoint
DROP TRIGGER IF EXISTS metrics_rollup_update ON payment_requests;--> statement-breakpoint
DROP FUNCTION IF EXISTS metrics_rollup_update();
