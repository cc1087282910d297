import { and, count, desc, eq, gte, lt, type SQL, sql } from 'drizzle-orm';
import { z } from 'zod';
import { type Db, first, sqlRows } from '../../db/client';
import { receiptMinute } from '../../db/event-receipts';
import { eventReceipts, events, paymentRequests, rejectedEvents, rejectionCodes } from '../../db/tables';
import { singleParam } from '../lib/http.server';
import { countOffThread } from './request-list/search-pool.server';

const MINUTE = 60_000;
export const REJECTED_PAGE_SIZE = 50;
export const ORPHANS_SHOWN = 50;

/**
 * The page's last hour: the current (partial) minute of receipt and the 59 before it, the buckets of
 * getEventsPerMinute, so the card and the chart agree.
 */
function lastHour(now: number) {
  const end = receiptMinute(now) + MINUTE;
  return { start: end - 60 * MINUTE, end };
}

/** The sums of event_receipts over [start, end): accepted and rejected events. */
async function receiptsBetween(db: Db, start: number, end: number) {
  const row = first(
    await db
      .select({
        accepted: sql<number>`coalesce(sum(${eventReceipts.events}), 0)`,
        rejected: sql<number>`coalesce(sum(${eventReceipts.rejected}), 0)`,
      })
      .from(eventReceipts)
      .where(and(gte(eventReceipts.minute, start), lt(eventReceipts.minute, end))),
  )!;
  return { accepted: Number(row.accepted), rejected: Number(row.rejected) };
}

/**
 * Counts for the top of the page. Events of the last hour and rejected of the last day come from
 * event_receipts (at most 60 and 1,440 rows: the day is its minutes, the current one included); the
 * totals of events and requests are count(*), which walks the smallest index: on the search thread.
 */
export async function getIngestionTotals(db: Db, now = Date.now()) {
  const { start, end } = lastHour(now);
  return {
    // count(*) reads a whole index: about 4 ms warm for 4M events, over a second cold after a restart.
    events: await countOffThread(db, db.select({ n: count() }).from(events)),
    eventsLastHour: (await receiptsBetween(db, start, end)).accepted,
    requests: await countOffThread(db, db.select({ n: count() }).from(paymentRequests)),
    // Every event rejected ever, as the codes count them: the kept ones are fewer once housekeeping
    // has deleted those past REJECTED_EVENTS_RETENTION_DAYS or beyond REJECTED_EVENTS_KEPT.
    rejected: Number(
      first(await db.select({ n: sql<number>`coalesce(sum(${rejectionCodes.events}), 0)` }).from(rejectionCodes))?.n ??
        0,
    ),
    rejectedLastDay: (await receiptsBetween(db, end - 24 * 60 * MINUTE, end)).rejected,
  };
}

/**
 * Accepted and rejected events per minute of receipt over the last hour: 60 buckets, oldest first,
 * the last one the current (partial) minute, every minute present, from event_receipts.
 */
export async function getEventsPerMinute(db: Db, now = Date.now()) {
  const { start, end } = lastHour(now);
  const bucketOf = (minute: number) => (minute - start) / MINUTE;
  const byBucket = new Map(
    (
      await db
        .select({ minute: eventReceipts.minute, accepted: eventReceipts.events, rejected: eventReceipts.rejected })
        .from(eventReceipts)
        .where(and(gte(eventReceipts.minute, start), lt(eventReceipts.minute, end)))
    ).map((row) => [bucketOf(Number(row.minute)), row]),
  );
  return Array.from({ length: 60 }, (_, i) => ({
    start: start + i * MINUTE,
    accepted: Number(byBucket.get(i)?.accepted ?? 0),
    rejected: Number(byBucket.get(i)?.rejected ?? 0),
  }));
}

/** Rejection codes with how often each occurred (ever), most frequent first: rejection_codes. */
export async function getRejectionCodes(db: Db) {
  const rows = await db
    .select({ code: rejectionCodes.code, n: rejectionCodes.events })
    .from(rejectionCodes)
    .orderBy(desc(rejectionCodes.events), rejectionCodes.code);
  return rows.map((row) => ({ code: row.code, n: Number(row.n) }));
}

/** Rejected events newest first, a page at a time: `before` is the last seq of the previous page. */
export async function getRejectedEvents(db: Db, filter: { code?: string; before?: number }) {
  const conditions: SQL[] = [];
  if (filter.code) conditions.push(eq(rejectedEvents.code, filter.code));
  if (filter.before) conditions.push(lt(rejectedEvents.seq, filter.before));
  const rows = await db
    .select()
    .from(rejectedEvents)
    .where(and(...conditions))
    .orderBy(desc(rejectedEvents.seq))
    .limit(REJECTED_PAGE_SIZE + 1);
  const page = rows.slice(0, REJECTED_PAGE_SIZE);
  return { rows: page, nextBefore: rows.length > REJECTED_PAGE_SIZE ? page.at(-1)!.seq : null };
}

/**
 * Orphans (SPEC §1): stored events of requests whose `created` has not arrived, so no projection
 * row exists yet. Grouped by request, most recently received first, with the totals.
 */
export async function getOrphans(db: Db) {
  type Row = { requestId: string; events: number; firstReceivedAt: number; lastReceivedAt: number };
  // Quoted aliases: PostgreSQL folds unquoted names to lower case; the casts keep its counts numbers.
  const rows = await sqlRows<Row & { totalRequests: number; totalEvents: number }>(
    db,
    `WITH orphans AS (
       SELECT request_id AS "requestId", count(*) AS events, min(received_at) AS "firstReceivedAt",
              max(received_at) AS "lastReceivedAt"
         FROM events e
        WHERE e.applied = false AND NOT EXISTS (SELECT 1 FROM payment_requests p WHERE p.id = e.request_id)
        GROUP BY request_id)
     SELECT *, count(*) OVER () AS "totalRequests", CAST(sum(events) OVER () AS bigint) AS "totalEvents"
       FROM orphans
      ORDER BY "lastReceivedAt" DESC, "requestId"
      LIMIT ?`,
    [ORPHANS_SHOWN],
  );
  return {
    requests: rows[0]?.totalRequests ?? 0,
    events: rows[0]?.totalEvents ?? 0,
    rows: rows.map(({ totalRequests, totalEvents, ...row }): Row => row),
  };
}

const rejectedQuerySchema = z.object({
  code: z
    .string()
    .regex(/^[a-z_]{1,64}$/)
    .optional()
    .catch(undefined),
  before: z.coerce.number().int().positive().optional().catch(undefined),
});

/**
 * The page's filter from the query string; anything malformed is ignored (the unfiltered first page),
 * a filter given twice is a 400 naming it.
 */
export function parseRejectedQuery(params: URLSearchParams): { code?: string; before?: number } {
  return rejectedQuerySchema.parse({
    code: singleParam(params, 'code', 'invalid_filter') ?? undefined,
    before: singleParam(params, 'before', 'invalid_filter') ?? undefined,
  });
}
