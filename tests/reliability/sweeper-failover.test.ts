import { afterAll, describe, expect, it } from 'vitest';
import { EXPIRY_SWEEPER_LEASE } from '../../app/write/expiry-sweeper.server';
import { leaseMsFor } from '../../app/write/leases.server';
import { closeDatabase, openDatabaseUrl } from '../../db/client';
import { queryRow } from '../support/db';
import { created, step, T0 } from '../support/events';
import { newWebhookSecret, postEvents, startServer, type TestServer } from '../support/server';

// Two instances on one database; the one holding the expiry sweeper's lease is killed with SIGKILL
// (no clean release). The other takes the lease over once it has run out and records the expiries
// due meanwhile: expiries stop for at most a lease period (issue 13). Runs on both engines.

const SWEEP_MS = 500;
const LEASE_MS = leaseMsFor(SWEEP_MS);
const servers: TestServer[] = [];

afterAll(async () => {
  await Promise.all(servers.map((server) => server.stop().catch(() => {})));
});

describe('SIGKILL of the instance holding the sweeper lease', () => {
  it('stops expiries for no longer than a lease period', async () => {
    const secret = newWebhookSecret();
    const env = { WEBHOOK_SECRET: secret, EXPIRY_SWEEP_MS: String(SWEEP_MS) };
    const first = await startServer(env);
    const second = await startServer(env, { dbFile: first.dbFile });
    servers.push(first, second);
    const db = openDatabaseUrl(first.dbFile);
    try {
      const holder = async () =>
        (await queryRow<{ holder: string }>(db, 'SELECT holder FROM leases WHERE name = ?', EXPIRY_SWEEPER_LEASE))
          ?.holder;
      await expect.poll(holder, { timeout: 10_000 }).toMatch(/:\d+:/);
      const holderPid = Number((await holder())!.split(':')[1]);
      const [victim, survivor] = holderPid === first.pid ? [first, second] : [second, first];
      expect(victim.pid).toBe(holderPid);

      process.kill(victim.pid, 'SIGKILL');
      servers.splice(servers.indexOf(victim), 1);
      const killedAt = Date.now();
      // Sent almost five minutes ago and never opened: due for expiry three seconds from now (the
      // unopened TTL is 5 minutes), after this batch is stored (a batch that finds an expiry already
      // due records it itself), while no instance sweeps: the victim renewed its lease (5 s) at most a
      // tick (0.5 s) before the kill. Two seconds left a loaded machine's batch little time to be stored.
      const sentAt = killedAt - 5 * 60_000 + 3_000;
      const body = [created('pr_failover', sentAt - 60_000 - T0), step('pr_failover', 'sent', sentAt - T0)]
        .map((event) => JSON.stringify(event))
        .join('\n');
      const response = await postEvents(survivor, body, { contentType: 'application/x-ndjson' });
      expect(response.status).toBe(200);

      // Once due, the replay shows it expired; the sweeper records that as a system event (SPEC §1).
      const recorded = async () =>
        (
          await queryRow<{ n: number }>(
            db,
            "SELECT count(*) AS n FROM events WHERE request_id = ? AND source = 'system'",
            'pr_failover',
          )
        )?.n;
      expect(await recorded()).toBe(0);
      // The bound is the requirement: the lease period, plus a few ticks for the takeover and the sweep.
      await expect.poll(recorded, { timeout: LEASE_MS + 4 * SWEEP_MS, interval: 100 }).toBe(1);
      expect(Number((await holder())!.split(':')[1])).toBe(survivor.pid);
      expect(
        await queryRow(db, 'SELECT status, expiry_due_at FROM payment_requests WHERE id = ?', 'pr_failover'),
      ).toEqual({ status: 'expired', expiry_due_at: null });
    } finally {
      await closeDatabase(db);
    }
  });
});
