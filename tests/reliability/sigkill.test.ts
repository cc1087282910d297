import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { verifyProjections } from '../../app/read/projection-check.server';
import { getExpirySettings } from '../../app/read/settings.server';
import { closeDatabase, type Db, onPostgres, openDatabaseUrl } from '../../db/client';
import { CLI_NODE, cliArgs } from '../support/cli';
import { closeTestDb, createTestDb, queryRow, queryRows } from '../support/db';
import { freePort, newWebhookSecret, signedHeaders } from '../support/server';

// Runs on both engines: on PostgreSQL every instance started here is given the test's database URL
// (DATABASE_URL) and the preview flag (this process's environment in the postgres project).
const KILLS = 10;
let port = 0; // one free port for the whole test: each restart listens where the senders post

function startOn(file: string, secret: string): ChildProcess {
  return spawn('node', ['build/server.js'], {
    env: {
      ...process.env,
      NODE_ENV: 'production',
      PORT: String(port),
      PUBLIC_URL: `http://127.0.0.1:${port}`,
      DATABASE_URL: file,
      WEBHOOK_SECRET: secret,
      SESSION_SECRET: randomBytes(32).toString('hex'),
    },
    stdio: 'ignore',
  });
}

async function untilUp(url: string) {
  for (let i = 0; i < 600; i++) {
    try {
      if ((await fetch(`${url}/healthz`)).ok) return;
    } catch {
      // not yet
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error('server did not come up');
}

describe(`SIGKILL during ingest (${KILLS} kills, 2 senders)`, () => {
  let child: ChildProcess | null = null;
  afterAll(() => {
    child?.kill('SIGKILL');
  });

  it('stores every acknowledged event exactly once, and every projection equals its replay', {
    timeout: 600_000,
  }, async () => {
    const { db: setup, file } = await createTestDb();
    await closeTestDb(setup);
    port = await freePort();
    const secret = newWebhookSecret();
    const url = `http://127.0.0.1:${port}`;
    const acked = new Set<string>();
    let attempted = 0;
    let stop = false;

    const sender = async (name: string) => {
      let n = 0;
      while (!stop) {
        const events = [];
        for (let i = 0; i < 20; i++, n++) {
          const requestId = `pr_${name}_${n}`;
          const occurredAt = new Date(Date.now() - 60_000).toISOString();
          events.push(
            {
              id: `evt_${name}_${n}_c`,
              type: 'payment_request.created',
              occurredAt,
              paymentRequest: {
                id: requestId,
                agent: { id: `ag_${name}`, name: `Agent ${name}`, team: { id: 'tm_k', name: 'Kill team' } },
                amount: 100 + n,
                currency: 'USD',
                orderNumber: `SO-${n}`,
                reason: 'kill test',
                channel: 'sms',
                customer: { phone: '+27821234567' },
              },
              data: {},
            },
            {
              id: `evt_${name}_${n}_s`,
              type: 'payment_request.sent',
              occurredAt,
              paymentRequest: { id: requestId },
              data: {},
            },
          );
        }
        const body = events.map((event) => JSON.stringify(event)).join('\n');
        attempted += events.length;
        try {
          const response = await fetch(`${url}/api/v1/events`, {
            method: 'POST',
            headers: signedHeaders(body, secret, { contentType: 'application/x-ndjson' }),
            body,
          });
          if (response.status === 200) {
            const answer = (await response.json()) as { results: { id: string; status: string }[] };
            for (const result of answer.results) if (result.status !== 'rejected') acked.add(result.id);
          }
        } catch {
          await new Promise((resolve) => setTimeout(resolve, 20)); // killed mid-request: not acknowledged
        }
      }
    };

    child = startOn(file, secret);
    await untilUp(url);
    const senders = [sender('a'), sender('b')];
    for (let kill = 0; kill < KILLS; kill++) {
      await new Promise((resolve) => setTimeout(resolve, 300 + Math.random() * 500));
      child.kill('SIGKILL');
      await new Promise((resolve) => child!.once('exit', resolve));
      child = startOn(file, secret);
      await untilUp(url);
    }
    await new Promise((resolve) => setTimeout(resolve, 300));
    stop = true;
    await Promise.all(senders);
    child.kill('SIGKILL');
    await new Promise((resolve) => child!.once('exit', resolve));
    child = null;

    const db = openDatabaseUrl(file);
    try {
      await expectStructurallySound(db);
      const ids = await queryRows<{ id: string }>(db, 'SELECT id FROM events');
      const stored = new Set(ids.map((row) => row.id));
      const missing = [...acked].filter((id) => !stored.has(id));
      expect(missing).toEqual([]);
      expect(
        Number((await queryRow<{ n: number }>(db, 'SELECT count(*) - count(DISTINCT id) AS n FROM events'))!.n),
      ).toBe(0);
      expect(acked.size).toBeGreaterThan(100);
      expect((await verifyProjections(db, await getExpirySettings(db))).different).toEqual([]);
      console.log(
        `sigkill: ${KILLS} kills, ${attempted} offered (many while the server was down), ${acked.size} acknowledged, ${stored.size} stored, 0 lost`,
      );
    } finally {
      await closeDatabase(db);
    }
    const verified = spawnSync(CLI_NODE, cliArgs('verify'), {
      env: { ...process.env, DATABASE_URL: file },
      encoding: 'utf8',
    });
    expect(verified.stdout).toMatch(/requests: 0 different/);
    expect(verified.status).toBe(0);
  });
});

/**
 * The database survived the kills whole. SQLite: integrity_check of the file (pages, indexes, the
 * WAL replayed). PostgreSQL recovers its own files; what a kill of the app could break is what the
 * app committed, so there: amcheck's check of every index of the app's tables against its heap
 * (each row indexed, each index entry ordered), which the per-row checks above rely on.
 */
async function expectStructurallySound(db: Db) {
  if (!onPostgres(db)) {
    expect(db.$client.pragma('integrity_check', { simple: true })).toBe('ok');
    return;
  }
  await queryRows(db, 'CREATE EXTENSION IF NOT EXISTS amcheck');
  const indexes = await queryRows<{ name: string }>(
    db,
    `SELECT c.oid::regclass::text AS name FROM pg_index i
       JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_am a ON a.oid = c.relam
       JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE n.nspname = 'public' AND a.amname = 'btree'`,
  );
  expect(indexes.map((index) => index.name)).toContain('events_pkey');
  for (const { name } of indexes) {
    await queryRows(db, 'SELECT bt_index_check(to_regclass(?), true)', name);
  }
}
