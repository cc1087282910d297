-- The rollups are moved by the writer (db/rollup-deltas.ts, summed per ingest batch) instead of by triggers on
-- every insert and update of payment_requests (issue 14); the rollups already stored stay as they are, correct.
-- The delete trigger stays: the demo reset deletes requests with plain SQL.
DROP TRIGGER IF EXISTS metrics_rollup_insert;
--> statement-breakpoint
DROP TRIGGER IF EXISTS metrics_rollup_update;
