-- The live feed's commit order on PostgreSQL (app/http/change-feed.pg.server.ts): the transaction
-- that wrote each event. A sequence number is not commit order (a transaction can commit after
-- one holding a higher seq); a reader that takes only transactions older than every one still in
-- progress (pg_snapshot_xmin), in (tx, seq) order, can never skip a row that commits late.
-- Not in db/schema.pg.ts: the app reads it only through that module's SQL, and the column does
-- not exist on SQLite (one writer: seq order is commit order there).
ALTER TABLE "events" ADD COLUMN "tx" xid8 DEFAULT pg_current_xact_id() NOT NULL;--> statement-breakpoint
CREATE INDEX "events_tx_idx" ON "events" USING btree ("tx","seq");
