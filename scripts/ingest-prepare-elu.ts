/**
 * The server thread's time per 1,000-event body (issue 14): prepared in it (prepareEventsBody) against
 * handed to the built preparation worker (event-loop utilization while waiting). `npm run build:workers` first.
 *
 *   npx tsx scripts/ingest-prepare-elu.ts
 */
import { performance } from 'node:perf_hooks';
import { resolve } from 'node:path';
import { PreparePool } from '../app/write/ingest-prepare-pool.server';
import { prepareEventsBody } from '../app/write/ingest-prepare';
import { freshEvents } from '../bench/_events';

const events = freshEvents(12_000, Date.now());
const bodies: string[] = [];
for (let at = 0; at + 1000 <= events.length; at += 1000) bodies.push(events.slice(at, at + 1000).map((e) => JSON.stringify(e)).join('\n'));
const pool = new PreparePool({ file: () => resolve('build/workers/ingest-prepare.cjs'), workers: () => 1 });
const now = Date.now();
for (const round of [0, 1, 2]) {
  let t = performance.now();
  for (const body of bodies) prepareEventsBody(body, 'application/x-ndjson', now);
  const here = (performance.now() - t) / bodies.length;
  const elu0 = performance.eventLoopUtilization();
  t = performance.now();
  for (const body of bodies) await pool.prepare(body, 'application/x-ndjson', now);
  const elu = performance.eventLoopUtilization(elu0);
  const wall = (performance.now() - t) / bodies.length;
  console.log(`round ${round}: in this thread ${here.toFixed(1)} ms a body; by the worker ${wall.toFixed(1)} ms wall, main thread busy ${(elu.active / bodies.length).toFixed(1)} ms a body`);
}
await pool.stop();
