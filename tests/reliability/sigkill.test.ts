import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { verifyProjections } from '../../app/read/projection-check.server';
import { getExpirySettings } from '../../app/read/settings.server';
import { openDatabase } from '../../db/client';
import { createTestDb } from '../support/db';
import { newWebhookSecret, signedHeaders } from '../support/server';

const KILLS = 10;
const PORT = 4105 + 700; // this branch's own range, away from the e2e port

function startOn(file: string, secret: string): ChildProcess {
  return spawn('node', ['build/server.js'], {
    env: {
      ...process.env,
      NODE_ENV: 'production',
      PORT: String(PORT),
      PUBLIC_URL: `http://127.0.0.1:${PORT}`,
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
    setup.$client.close();
    const secret = newWebhookSecret();
    const url = `http://127.0.0.1:${PORT}`;
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

    const db = openDatabase(file);
    try {
      expect(db.$client.pragma('integrity_check', { simple: true })).toBe('ok');
      const stored = new Set(db.$client.prepare('SELECT id FROM events').pluck().all() as string[]);
      const missing = [...acked].filter((id) => !stored.has(id));
      expect(missing).toEqual([]);
      expect(db.$client.prepare('SELECT count(*) - count(DISTINCT id) FROM events').pluck().get()).toBe(0);
      expect(acked.size).toBeGreaterThan(100);
      expect((await verifyProjections(db, await getExpirySettings(db))).different).toEqual([]);
      console.log(
        `sigkill: ${KILLS} kills, ${attempted} offered (many while the server was down), ${acked.size} acknowledged, ${stored.size} stored, 0 lost`,
      );
    } finally {
      db.$client.close();
    }
    const verified = spawnSync('npx', ['tsx', 'cli/main.ts', 'verify'], {
      env: { ...process.env, DATABASE_URL: file },
      encoding: 'utf8',
    });
    expect(verified.stdout).toMatch(/requests: 0 different/);
    expect(verified.status).toBe(0);
  });
});
