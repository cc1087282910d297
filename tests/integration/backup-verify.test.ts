import { spawn, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { verifyProjections } from '../../app/read/projection-check.server';
import { ingestEvents } from '../../app/write/ingest.server';
import { type Db, openDatabase, sqlRun } from '../../db/client';
import { ON_POSTGRES } from '../../db/tables';
import { CLI_NODE, cliArgs } from '../support/cli';
import { closeTestDb, createTestDb } from '../support/db';
import { created, MINUTE } from '../support/events';
import { TEST_TMP } from '../support/paths';

const SETTINGS = { ttlUnopenedMs: 5 * MINUTE, ttlOpenedMs: 15 * MINUTE };

function batch(from: number, count: number) {
  const events: unknown[] = [];
  for (let i = from; i < from + count; i++) {
    const event = created(`pr_bk_${i}`, i * 1000);
    events.push(event, {
      id: `evt_bk_${i}_sent`,
      type: 'payment_request.sent',
      occurredAt: new Date(Date.parse(event.occurredAt) + 1000).toISOString(),
      paymentRequest: { id: `pr_bk_${i}` },
      data: {},
    });
  }
  return events;
}

const cli = (args: string[], file: string) =>
  spawnSync(CLI_NODE, cliArgs(...args), {
    env: { ...process.env, DATABASE_URL: file },
    encoding: 'utf8',
  });

describe('cli backup and verify', () => {
  let db: Db;
  let file: string;
  beforeEach(async () => {
    ({ db, file } = await createTestDb());
  });
  afterEach(() => closeTestDb(db));

  // cli backup is SQLite's online backup (PostgreSQL: pg_dump; cli.test checks the refusal there).
  it.skipIf(ON_POSTGRES)(
    'takes a consistent backup while events are being ingested; the restored copy verifies',
    {
      timeout: 180_000,
    },
    async () => {
      let next = 0;
      const ingest = async (count: number) => {
        expect((await ingestEvents(db, batch(next, count), 'api', { settings: SETTINGS })).rejected).toBe(0);
        next += count;
      };
      await ingest(2000);
      const target = join(TEST_TMP, `backup-${Date.now()}.db`);
      const child = spawn(CLI_NODE, cliArgs('backup', target), {
        env: { ...process.env, DATABASE_URL: file },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let output = '';
      child.stdout.on('data', (chunk) => (output += chunk));
      child.stderr.on('data', (chunk) => (output += chunk));
      const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
      let running = true;
      void exited.then(() => (running = false));
      let batchesDuring = 0;
      while (running) {
        await ingest(50);
        batchesDuring += 1;
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
      expect(await exited, output).toBe(0);
      expect(output).toMatch(/Backed up to .* \(integrity_check ok\)/);
      expect(batchesDuring).toBeGreaterThan(0);

      // Restore = use the copy as DATABASE_URL (README): it opens, passes integrity_check and replays to its projections.
      const restored = openDatabase(target);
      try {
        expect(restored.$client.pragma('integrity_check', { simple: true })).toBe('ok');
        const events = (restored.$client.prepare('SELECT count(*) AS n FROM events').get() as { n: number }).n;
        const requests = (restored.$client.prepare('SELECT count(*) AS n FROM payment_requests').get() as { n: number })
          .n;
        // Each request's created and sent, and its expiry (long due when ingested, recorded in the same
        // transaction): whole batches only, a snapshot, never half a transaction.
        expect(events % 3).toBe(0);
        expect(requests).toBe(events / 3);
        expect(requests).toBeGreaterThanOrEqual(2000);
        expect(await verifyProjections(restored, SETTINGS)).toEqual({ checked: requests, different: [] });
      } finally {
        restored.$client.close();
      }
      const verified = cli(['verify'], target);
      expect(verified.status).toBe(0);
      expect(verified.stdout).toMatch(/Verified \d+ requests: 0 different/);
    },
  );

  it('verify names a request whose stored projection differs from its replay', async () => {
    await ingestEvents(db, batch(0, 3), 'api', { settings: SETTINGS });
    await sqlRun(db, "UPDATE payment_requests SET status = 'paid', amount = 1 WHERE id = 'pr_bk_1'");
    expect(await verifyProjections(db, SETTINGS)).toEqual({
      checked: 3,
      different: [{ requestId: 'pr_bk_1', fields: { amount: [1, 36121], status: ['paid', 'expired'] } }],
    });
    const result = cli(['verify'], file);
    expect(result.status).toBe(1);
    expect(result.stdout).toContain('Verified 3 requests: 1 different');
  });
});
