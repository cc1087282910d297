import type Database from 'better-sqlite3';
import { numberedPlaceholders } from './client';

/**
 * event_receipts (db/schema.ts): how many events were accepted in each minute of receipt, so the
 * ingestion-health page reads its last hour from at most 60 rows. Counting events by received_at
 * walked every event (no index on it: 4 bytes a request more): at 1M requests the page's loader held
 * the server's thread for about 2 s.
 *
 * Every writer that stores events adds the batch's count to its minute in the same transaction
 * (the events of one batch share received_at), and deletes the rows older than RECEIPTS_KEPT_MS.
 */
export const RECEIPT_MINUTE_MS = 60_000;
export const RECEIPTS_KEPT_MS = 24 * 60 * RECEIPT_MINUTE_MS;

/** The start of the minute (UTC epoch ms) that `ms` falls in. */
export const receiptMinute = (ms: number): number => Math.floor(ms / RECEIPT_MINUTE_MS) * RECEIPT_MINUTE_MS;

/** Parameters: minute, events. The same text serves both engines (numberedPlaceholders on PostgreSQL). */
const ADD = `INSERT INTO event_receipts (minute, events) VALUES (?, ?)
  ON CONFLICT (minute) DO UPDATE SET events = event_receipts.events + excluded.events`;
const PRUNE = 'DELETE FROM event_receipts WHERE minute < ?';

const statements = new WeakMap<Database.Database, { add: Database.Statement; prune: Database.Statement }>();

/** Records `events` accepted at `receivedAt` (SQLite, inside the writer's transaction). */
export function addReceipts(sqlite: Database.Database, receivedAt: number, events: number): void {
  if (events === 0) return;
  let prepared = statements.get(sqlite);
  if (!prepared) {
    prepared = { add: sqlite.prepare(ADD), prune: sqlite.prepare(PRUNE) };
    statements.set(sqlite, prepared);
  }
  prepared.prune.run(receiptMinute(receivedAt) - RECEIPTS_KEPT_MS);
  prepared.add.run(receiptMinute(receivedAt), events);
}

/** The same on PostgreSQL, last in the batch's transaction: the minute's row stays locked only until COMMIT. */
export async function addReceiptsPostgres(
  query: (text: string, params: unknown[]) => Promise<unknown>,
  receivedAt: number,
  events: number,
): Promise<void> {
  if (events === 0) return;
  await query(numberedPlaceholders(PRUNE), [receiptMinute(receivedAt) - RECEIPTS_KEPT_MS]);
  await query(numberedPlaceholders(ADD), [receiptMinute(receivedAt), events]);
}
