import { statSync } from 'node:fs';
import { Worker } from 'node:worker_threads';
import { type Db, onPostgres } from '../../../db/client';
import { apiError } from '../../lib/http.server';
import { workerBundle } from '../exports/worker-bundle.server';
import type { SearchReply, SearchRequest } from './search-protocol';

/**
 * The request list's scans on a worker thread (SQLite; PostgreSQL runs them in its own server):
 * the matches of its filters when they may be few (q, whose substring no index serves; team, agent,
 * channel, currency, status, which may leave few rows scattered along every index) and its capped
 * count. Such a scan reads every row the best index leaves: about 150-300 ms at 1M requests and ten
 * times that at 10M. On the server's thread it stalled every other client, and a list open on it
 * re-ran it at each live refresh. Here they run on one thread per database file (at most
 * MAX_THREADS files at once), one at a time, on its own read-only connection.
 *
 * - Bounded: MAX_WAITING statements may wait for a thread; the next is answered 503 with
 *   Retry-After, as the password hashes are.
 * - Never lost: a thread that fails or exits answers null to what it held, and the caller runs the
 *   statement in this thread (as it does without the built worker, `npm run build:workers`, or on an
 *   in-memory database).
 * - Its own snapshot: the caller reads the page in its transaction from the ids found here, with every
 *   filter applied again, so a request changed in between is left out, never shown wrongly.
 */

const BUNDLE = 'workers/request-search.cjs';
const MAX_THREADS = 2;
export const MAX_WAITING = 32;
/** An idle thread is stopped after this long (its connection and page cache go with it). */
const IDLE_MS = 60_000;

interface Waiting {
  key: string;
  request: SearchRequest;
  resolve: (rows: unknown[][] | null) => void;
  /** Takes the statement out of the queue when its client leaves first. */
  forget?: () => void;
}

interface SearchThread {
  worker: Worker;
  /** Every statement not yet answered: the one the thread runs, then those queued here. */
  waiting: Map<number, Waiting>;
  /** Handed to the thread one at a time, so one whose client has left is dropped unrun. */
  queue: number[];
  running: number | null;
  idle: NodeJS.Timeout | null;
}

const threads = new Map<string, SearchThread>();
let nextId = 1;
let ranOnThread = 0;
let reusedRows = 0;

/**
 * A list open in a browser reloads on the changes it is told of (use-live-changes.ts: one load at a
 * time, a second apart), and at 10M requests a q search costs about 1.5 s of the search thread: a few
 * open lists would hold it for good and every other search would wait, then get 503. So the rows of a
 * costly statement are given again to the same statement (same file, text and parameters) for
 * `factor` times what it cost, counted from when it finished: an open list then takes at most
 * 1 / (1 + factor) of the thread, and its matches are at most that old (its page is read fresh from
 * them here, every filter applied again). Only statements of `minCostMs` or more on files of
 * `minFileBytes` or more: a cheap search is always run again. An object, so a test can change it.
 */
export const REUSE = { factor: 4, minCostMs: 50, minFileBytes: 64 * 1024 * 1024, maxEntries: 64 };
const reusable = new Map<string, { rows: unknown[][]; until: number }>();

function keep(key: string, file: string, rows: unknown[][], ms: number): void {
  if (ms < REUSE.minCostMs || REUSE.factor <= 0) return;
  try {
    if (statSync(file).size < REUSE.minFileBytes) return;
  } catch {
    return;
  }
  const now = performance.now();
  for (const [old, entry] of reusable) if (entry.until <= now) reusable.delete(old);
  reusable.delete(key);
  reusable.set(key, { rows, until: now + REUSE.factor * ms });
  // The oldest first out (a Map keeps insertion order).
  for (const old of reusable.keys()) {
    if (reusable.size <= REUSE.maxEntries) break;
    reusable.delete(old);
  }
}

/** How many statements a search thread has answered, and how many were answered with reused rows. */
export function searchThreadStats(): { threads: number; answered: number; reused: number } {
  return { threads: threads.size, answered: ranOnThread, reused: reusedRows };
}

function stop(file: string, thread: SearchThread): void {
  if (threads.get(file) === thread) threads.delete(file);
  if (thread.idle) clearTimeout(thread.idle);
  for (const { resolve, forget } of thread.waiting.values()) {
    forget?.();
    resolve(null);
  }
  thread.waiting.clear();
  thread.queue.length = 0;
  void thread.worker.terminate();
}

function startThread(file: string, bundle: string): SearchThread | null {
  if (threads.size >= MAX_THREADS) {
    // Another database file's idle thread makes room; none idle: this statement runs here.
    const idle = [...threads].find(([, thread]) => thread.waiting.size === 0);
    if (!idle) return null;
    stop(...idle);
  }
  const worker = new Worker(bundle, { workerData: { file } });
  const thread: SearchThread = { worker, waiting: new Map(), queue: [], running: null, idle: null };
  worker.on('message', (reply: SearchReply) => {
    if (thread.running === reply.id) thread.running = null;
    const waiting = thread.waiting.get(reply.id);
    runNext(thread);
    if (!waiting) return;
    thread.waiting.delete(reply.id);
    waiting.forget?.();
    if ('rows' in reply) {
      ranOnThread += 1;
      keep(waiting.key, file, reply.rows, reply.ms);
    }
    // A statement that failed there (the file gone, a busy timeout) is run here, where its error shows.
    waiting.resolve('rows' in reply ? reply.rows : null);
    if (thread.waiting.size === 0) {
      worker.unref();
      thread.idle = setTimeout(() => stop(file, thread), IDLE_MS).unref();
    }
  });
  const fail = () => stop(file, thread);
  worker.on('error', fail);
  worker.on('exit', fail);
  // After the listeners (adding a 'message' listener refs the worker again: an idle thread kept the
  // benches running until IDLE_MS stopped it). A thread with statements to answer is ref'd again
  // until it has; an idle one never keeps the process up.
  worker.unref();
  threads.set(file, thread);
  return thread;
}

/** Hands the thread the next statement whose client is still there, when it runs none. */
function runNext(thread: SearchThread): void {
  while (thread.running === null && thread.queue.length > 0) {
    const id = thread.queue.shift()!;
    const waiting = thread.waiting.get(id);
    if (!waiting) continue;
    thread.running = id;
    thread.worker.postMessage(waiting.request);
  }
}

/** What a loader throws for a client that left before its answer: nobody reads it (499, as proxies log it). */
function clientLeft(): Response {
  return new Response(null, { status: 499 });
}

/**
 * The raw rows of `query` (a SELECT), run on the search thread of db's file (or the rows it gave a
 * moment ago when it was costly: REUSE); null when there is no thread to run it (the caller runs it
 * in this thread). Throws a 503 Response when MAX_WAITING wait. With the request's `signal`, a
 * statement still queued when its client leaves is dropped unrun (throws a 499 Response): a client
 * that sends costly searches and hangs up does not hold the thread for those who wait.
 */
export async function searchOnThread(
  db: Db,
  query: { sql: string; params: unknown[] },
  signal?: AbortSignal,
): Promise<unknown[][] | null> {
  if (signal?.aborted) throw clientLeft();
  const client = db.$client;
  if (client.memory || !client.name) return null;
  const bundle = workerBundle(BUNDLE, undefined);
  if (!bundle) return null;
  const key = `${client.name}\u0000${query.sql}\u0000${JSON.stringify(query.params, (_, value) =>
    typeof value === 'bigint' ? `${value}n` : value,
  )}`;
  const kept = reusable.get(key);
  if (kept && kept.until > performance.now()) {
    reusedRows += 1;
    return kept.rows;
  }
  const thread = threads.get(client.name) ?? startThread(client.name, bundle);
  if (!thread) return null;
  if (thread.waiting.size >= MAX_WAITING) {
    throw apiError(503, 'busy', 'Too many list searches at once; retry shortly', { headers: { 'retry-after': '1' } });
  }
  if (thread.idle) {
    clearTimeout(thread.idle);
    thread.idle = null;
  }
  const id = nextId++;
  return await new Promise<unknown[][] | null>((resolve, reject) => {
    if (thread.waiting.size === 0) thread.worker.ref();
    const waiting: Waiting = { key, resolve, request: { id, sql: query.sql, params: query.params } };
    if (signal) {
      const left = () => {
        // The one running is left to finish (SQLite's statement cannot be stopped from here) and
        // answered as any other: its caller's response goes nowhere.
        if (thread.running === id || !thread.waiting.delete(id)) return;
        reject(clientLeft());
      };
      signal.addEventListener('abort', left, { once: true });
      waiting.forget = () => signal.removeEventListener('abort', left);
    }
    thread.waiting.set(id, waiting);
    thread.queue.push(id);
    runNext(thread);
  });
}

/**
 * A count (`SELECT count … AS n`) run on the search thread on SQLite when there is one; here
 * otherwise, and on PostgreSQL (its server runs it, not this thread).
 */
export async function countOffThread(
  db: Db,
  statement: PromiseLike<{ n: number }[]> & { toSQL(): { sql: string; params: unknown[] } },
  signal?: AbortSignal,
): Promise<number> {
  const onThread = onPostgres(db) ? null : await searchOnThread(db, statement.toSQL(), signal);
  if (onThread) return Number(onThread[0]?.[0] ?? 0);
  const [row] = await statement;
  return Number(row?.n ?? 0);
}
