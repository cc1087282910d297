import type Database from 'better-sqlite3';
import { numberedPlaceholders } from './client';

/**
 * event_receipts (db/schema.ts): how many events were accepted and rejected in each minute of
 * receipt, so the ingestion-health page reads its last hour from at most 60 rows; rejection_codes:
 * how many were rejected with each code, ever. Counting events by received_at walked every event (no
 * index on it: 4 bytes a request more): at 1M requests the page's loader held the server's thread
 * for about 2 s; grouping rejected events by code read every one of them (raw bodies included).
 *
 * Every writer that stores events adds the batch's counts in the same transaction (the events of one
 * batch share received_at), and deletes the minutes older than RECEIPTS_KEPT_MS.
 */
export const RECEIPT_MINUTE_MS = 60_000;
export const RECEIPTS_KEPT_MS = 24 * 60 * RECEIPT_MINUTE_MS;

/** The start of the minute (UTC epoch ms) that `ms` falls in. */
export const receiptMinute = (ms: number): number => Math.floor(ms / RECEIPT_MINUTE_MS) * RECEIPT_MINUTE_MS;

/** Parameters: minute, accepted, rejected. One text for both engines (numberedPlaceholders on PostgreSQL). */
const ADD = `INSERT INTO event_receipts (minute, events, rejected) VALUES (?, ?, ?)
  ON CONFLICT (minute) DO UPDATE SET events = event_receipts.events + excluded.events,
    rejected = event_receipts.rejected + excluded.rejected`;
const PRUNE = 'DELETE FROM event_receipts WHERE minute < ?';
/** Parameters: code, events. */
const ADD_CODE = `INSERT INTO rejection_codes (code, events) VALUES (?, ?)
  ON CONFLICT (code) DO UPDATE SET events = rejection_codes.events + excluded.events`;

/** A batch's receipt: its accepted (stored) events and the code of each rejected one. */
export interface Receipt {
  receivedAt: number;
  accepted: number;
  rejectedCodes: readonly string[];
}

/** Rejected events per code, in code order (PostgreSQL: one lock order for every transaction). */
function perCode(codes: readonly string[]): [string, number][] {
  const counts = new Map<string, number>();
  for (const code of codes) counts.set(code, (counts.get(code) ?? 0) + 1);
  return [...counts].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

const statements = new WeakMap<
  Database.Database,
  { add: Database.Statement; prune: Database.Statement; addCode: Database.Statement }
>();

/** Records a batch's receipt (SQLite, inside the writer's transaction). */
export function addReceipts(sqlite: Database.Database, { receivedAt, accepted, rejectedCodes }: Receipt): void {
  if (accepted === 0 && rejectedCodes.length === 0) return;
  let prepared = statements.get(sqlite);
  if (!prepared) {
    prepared = { add: sqlite.prepare(ADD), prune: sqlite.prepare(PRUNE), addCode: sqlite.prepare(ADD_CODE) };
    statements.set(sqlite, prepared);
  }
  prepared.prune.run(receiptMinute(receivedAt) - RECEIPTS_KEPT_MS);
  prepared.add.run(receiptMinute(receivedAt), accepted, rejectedCodes.length);
  for (const [code, events] of perCode(rejectedCodes)) prepared.addCode.run(code, events);
}

/**
 * The same on PostgreSQL, last in the batch's transaction: the rows it locks (each code in code
 * order, then the minute) stay locked only until COMMIT, and two batches lock them in one order.
 */
export async function addReceiptsPostgres(
  query: (text: string, params: unknown[]) => Promise<unknown>,
  { receivedAt, accepted, rejectedCodes }: Receipt,
): Promise<void> {
  if (accepted === 0 && rejectedCodes.length === 0) return;
  for (const [code, events] of perCode(rejectedCodes)) await query(numberedPlaceholders(ADD_CODE), [code, events]);
  await query(numberedPlaceholders(PRUNE), [receiptMinute(receivedAt) - RECEIPTS_KEPT_MS]);
  await query(numberedPlaceholders(ADD), [receiptMinute(receivedAt), accepted, rejectedCodes.length]);
}
