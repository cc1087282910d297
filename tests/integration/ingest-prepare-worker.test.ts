import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { prepareEventsBody } from '../../app/write/ingest-prepare';
import { MIN_WORKER_BYTES, PreparePool } from '../../app/write/ingest-prepare-pool.server';
import { created, MINUTE, step, T0 } from '../support/events';

// POST /api/v1/events has large bodies read, checked, hashed and masked by a worker thread (issue 14):
// the built worker (npm test builds it) must give exactly what this thread gives, and a worker that
// dies must cost no body.

const WORKER = resolve('build/workers/ingest-prepare.cjs');
const NOW = T0 + 60 * MINUTE;
const pools: PreparePool[] = [];
const poolOf = (file: string, workers = 1, deadlineMs?: number) => {
  const pool = new PreparePool({ file: () => file, workers: () => workers, deadlineMs });
  pools.push(pool);
  return pool;
};
afterEach(async () => {
  await Promise.all(pools.splice(0).map((pool) => pool.stop()));
});

/** An NDJSON body past MIN_WORKER_BYTES: valid events, a card number to mask, an invalid and a too-deep one. */
function mixedBody(): string {
  const events: unknown[] = [];
  for (let i = 0; i < 80; i++) {
    events.push(created(`pr_w${i}`, i * 1000), step(`pr_w${i}`, 'sent', i * 1000 + 5000));
  }
  events.push(created('pr_wcard', 0, { reason: 'card 4111 1111 1111 1111' }));
  events.push({ ...step('pr_w2', 'opened', MINUTE), id: 'evt_bad', type: 'payment_request.teleported' });
  let deep: unknown = 'x';
  for (let i = 0; i < 500; i++) deep = { deep };
  events.push({ ...step('pr_w3', 'opened', MINUTE), data: deep });
  return `${events.map((event) => JSON.stringify(event)).join('\n')}\n`;
}

describe('ingest preparation in a worker thread', () => {
  it('gives what this thread gives: results, stored bodies, hashes (as Buffers), rejections', async () => {
    expect(existsSync(WORKER)).toBe(true);
    const body = mixedBody();
    expect(body.length).toBeGreaterThan(MIN_WORKER_BYTES);
    const pool = poolOf(WORKER);
    const here = prepareEventsBody(body, 'application/x-ndjson', NOW);
    const there = await pool.prepare(body, 'application/x-ndjson', NOW);
    expect(pool.stats()).toEqual({ preparedInWorkers: 1, workers: 1 });
    expect(there).toEqual(here);
    if (!there.ok || !here.ok) throw new Error('expected a prepared body');
    expect(there.prepared).toHaveLength(163);
    const masked = there.prepared[160]!;
    expect(Buffer.isBuffer(masked.stored!.storedHash)).toBe(true);
    expect(masked.stored!.storedBody).toContain('card **** **** **** 1111');
    expect(masked.stored!.storedBody).not.toContain('4111 1111 1111 1111');
    expect(there.prepared[161]!.validation).toMatchObject({ ok: false, eventId: 'evt_bad' });
    expect(there.prepared[162]!.validation).toMatchObject({ ok: false, error: { code: 'too_deep' } });
    expect(there.prepared.filter((input) => input.validation.ok)).toHaveLength(161);
  });

  it('takes the body as the bytes the server read, with the same result as its text', async () => {
    const text = mixedBody();
    const bytes = Buffer.from(text, 'utf8');
    const pool = poolOf(WORKER);
    const here = prepareEventsBody(text, 'application/x-ndjson', NOW);
    expect(prepareEventsBody(bytes, 'application/x-ndjson', NOW)).toEqual(here);
    // The worker receives a plain Uint8Array (a Buffer does not survive postMessage as one).
    expect(await pool.prepare(bytes, 'application/x-ndjson', NOW)).toEqual(here);
    expect(pool.stats()).toEqual({ preparedInWorkers: 1, workers: 1 });
    const broken = Buffer.concat([bytes, Buffer.from([0xff])]);
    expect(await pool.prepare(broken, 'application/x-ndjson', NOW)).toEqual({
      ok: false,
      code: 'invalid_body',
      message: 'The body is not valid UTF-8',
    });
  });

  it('answers a body it cannot read with the reason the route gives (400)', async () => {
    const pool = poolOf(WORKER);
    const body = `${JSON.stringify(created('pr_ok'))}\n{not json\n${'x'.repeat(MIN_WORKER_BYTES)}`;
    expect(await pool.prepare(body, 'application/x-ndjson', NOW)).toEqual({
      ok: false,
      code: 'invalid_body',
      message: 'Line 2 is not valid JSON',
    });
    expect(pool.stats().preparedInWorkers).toBe(1);
  });

  it('keeps small bodies in this thread, any body asked to, and everything when workers are off', async () => {
    const small = JSON.stringify(created('pr_small'));
    const pool = poolOf(WORKER);
    expect(await pool.prepare(small, 'application/json', NOW)).toEqual(
      prepareEventsBody(small, 'application/json', NOW),
    );
    // Asked to (the route does while the writer is idle): a large body too.
    expect(await pool.prepare(mixedBody(), 'application/x-ndjson', NOW, { inThread: true })).toEqual(
      prepareEventsBody(mixedBody(), 'application/x-ndjson', NOW),
    );
    const off = poolOf(WORKER, 0);
    expect(await off.prepare(mixedBody(), 'application/x-ndjson', NOW)).toEqual(
      prepareEventsBody(mixedBody(), 'application/x-ndjson', NOW),
    );
    expect([pool.stats(), off.stats()]).toEqual([
      { preparedInWorkers: 0, workers: 0 },
      { preparedInWorkers: 0, workers: 0 },
    ]);
  });

  it('prepares here what a dying worker held, and starts a new worker for the next body', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ingest-worker-'));
    const dying = join(dir, 'dying.cjs');
    writeFileSync(dying, "require('node:worker_threads').parentPort.on('message', () => process.exit(3));\n");
    const pool = poolOf(dying);
    const body = mixedBody();
    const [first, second] = await Promise.all([
      pool.prepare(body, 'application/x-ndjson', NOW),
      pool.prepare(body, 'application/x-ndjson', NOW),
    ]);
    const expected = prepareEventsBody(body, 'application/x-ndjson', NOW);
    expect([first, second]).toEqual([expected, expected]);
    expect(pool.stats()).toEqual({ preparedInWorkers: 0, workers: 0 });
    expect(await pool.prepare(body, 'application/x-ndjson', NOW)).toEqual(expected);
    expect(pool.stats().preparedInWorkers).toBe(0);
  });

  it('stops a worker that does not answer by the deadline and prepares its bodies here', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ingest-worker-'));
    const silent = join(dir, 'silent.cjs');
    writeFileSync(silent, "require('node:worker_threads').parentPort.on('message', () => {});\n");
    const pool = poolOf(silent, 1, 200);
    const body = mixedBody();
    expect(await pool.prepare(body, 'application/x-ndjson', NOW)).toEqual(
      prepareEventsBody(body, 'application/x-ndjson', NOW),
    );
    expect(pool.stats()).toEqual({ preparedInWorkers: 0, workers: 0 });
  });

  it('keeps the process up while a worker holds a body (and not once it is idle)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ingest-worker-'));
    const script = join(dir, 'alone.mts');
    writeFileSync(
      script,
      `import { PreparePool } from ${JSON.stringify(resolve('app/write/ingest-prepare-pool.server.ts'))};
const pool = new PreparePool({ file: () => ${JSON.stringify(WORKER)}, workers: () => 1 });
const result = await pool.prepare(${JSON.stringify(mixedBody())}, 'application/x-ndjson', ${NOW});
console.log(result.ok ? result.prepared.length : result.code, pool.stats().preparedInWorkers);
`,
    );
    // Exits by itself (the idle worker does not hold it) after printing what the worker prepared.
    const out = execFileSync('node', ['--import', 'tsx', script], { encoding: 'utf8', timeout: 20_000 });
    expect(out.trim()).toBe('163 1');
  });
});
