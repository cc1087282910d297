import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { systemExpiryEventId } from '../../app/domain/system-expiry';
import { createServiceToken, loadViewer } from '../../app/write/api-tokens.server';
import {
  createExpirySweeper,
  EXPIRY_SWEEP_BATCH,
  EXPIRY_SWEEPER_LEASE,
  runExpirySweep,
  startExpirySweeper,
  stopExpirySweeper,
} from '../../app/write/expiry-sweeper.server';
import { ingestEvents } from '../../app/write/ingest.server';
import { LEASE_FLOOR_MS, leaseMsFor, processHolder, releaseLease, tryLease } from '../../app/write/leases.server';
import { createReportScheduler, REPORT_SCHEDULER_LEASE } from '../../app/write/report-scheduler.server';
import { createSchedule } from '../../app/write/report-schedules.server';
import { closeDatabase, type Db, openDatabaseUrl, sqlRun, writeTransaction } from '../../db/client';
import { ON_POSTGRES } from '../../db/tables';
import { createTestDb, queryRow, queryRows } from '../support/db';
import { created, MINUTE, step, T0 } from '../support/events';

// Two app instances on one database: two connections to one file, each with its own holder id.
let a: Db;
let b: Db;

beforeEach(async () => {
  const test = await createTestDb();
  a = test.db;
  b = openDatabaseUrl(test.file);
});
afterEach(async () => {
  await closeDatabase(a);
  await closeDatabase(b);
});

const leaseRow = (name: string) => queryRow(a, 'SELECT holder, expires_at FROM leases WHERE name = ?', name);

describe('tryLease and releaseLease', () => {
  it('gives the lease to one holder, lets it renew, and hands it over only once it has expired', async () => {
    expect(await tryLease(a, 'job', 'holder-a', 6000, 1000)).toBe(true);
    expect(await tryLease(b, 'job', 'holder-b', 6000, 1000)).toBe(false);
    expect(await leaseRow('job')).toEqual({ holder: 'holder-a', expires_at: 7000 });

    // The holder renews: the lease now runs to 9000, so B is still refused after the first 7000.
    expect(await tryLease(a, 'job', 'holder-a', 6000, 3000)).toBe(true);
    expect(await leaseRow('job')).toEqual({ holder: 'holder-a', expires_at: 9000 });
    expect(await tryLease(b, 'job', 'holder-b', 6000, 7000)).toBe(false);
    expect(await tryLease(b, 'job', 'holder-b', 6000, 8999)).toBe(false);
    expect(await leaseRow('job')).toEqual({ holder: 'holder-a', expires_at: 9000 });

    // A stopped renewing: at its expiry B takes over, and A (back late) is refused.
    expect(await tryLease(b, 'job', 'holder-b', 6000, 9000)).toBe(true);
    expect(await leaseRow('job')).toEqual({ holder: 'holder-b', expires_at: 15000 });
    expect(await tryLease(a, 'job', 'holder-a', 6000, 9001)).toBe(false);
    expect(await leaseRow('job')).toEqual({ holder: 'holder-b', expires_at: 15000 });
  });

  it('lets another holder take a released lease at once; only the holder can release it', async () => {
    expect(await tryLease(a, 'job', 'holder-a', 6000, 1000)).toBe(true);
    await releaseLease(b, 'job', 'holder-b');
    expect(await leaseRow('job')).toEqual({ holder: 'holder-a', expires_at: 7000 });
    expect(await tryLease(b, 'job', 'holder-b', 6000, 1001)).toBe(false);

    await releaseLease(a, 'job', 'holder-a');
    expect(await leaseRow('job')).toBeUndefined();
    expect(await tryLease(b, 'job', 'holder-b', 6000, 1002)).toBe(true);
    expect(await leaseRow('job')).toEqual({ holder: 'holder-b', expires_at: 7002 });
  });

  // SQLite: one writer at a time on a file, whichever connection. PostgreSQL's writes run side by side.
  it.skipIf(ON_POSTGRES)('waits its turn behind another write instead of holding the event loop', async () => {
    expect(await tryLease(a, 'job', 'holder-b', 6000, 1000)).toBe(true);
    let finish!: () => void;
    const holding = writeTransaction(a, () => new Promise<void>((resolve) => (finish = resolve)));
    let released = false;
    const releasing = releaseLease(b, 'job', 'holder-b').then(() => (released = true));
    // The event loop runs meanwhile (the timer fires) and the release has not happened yet.
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(released).toBe(false);
    finish();
    await holding;
    await releasing;
    expect(await leaseRow('job')).toBeUndefined();
  });

  it('keeps leases of different names apart', async () => {
    expect(await tryLease(a, 'one', 'holder-a', 6000, 1000)).toBe(true);
    expect(await tryLease(b, 'two', 'holder-b', 6000, 1000)).toBe(true);
    expect(await tryLease(b, 'one', 'holder-b', 6000, 1000)).toBe(false);
    expect(await tryLease(a, 'two', 'holder-a', 6000, 1000)).toBe(false);
  });

  it('lasts three ticks, at least LEASE_FLOOR_MS; one holder id per process', () => {
    expect(LEASE_FLOOR_MS).toBe(5000);
    expect(leaseMsFor(250)).toBe(5000);
    expect(leaseMsFor(2000)).toBe(6000);
    expect(leaseMsFor(30_000)).toBe(90_000);
    expect(processHolder()).toBe(processHolder());
    expect(processHolder()).toMatch(new RegExp(`:${process.pid}:[0-9a-f-]{36}$`));
  });
});

describe('expiry sweeper on two instances', () => {
  const settings = { ttlUnopenedMs: 5 * MINUTE, ttlOpenedMs: 15 * MINUTE };
  const systemEvents = () =>
    queryRows(
      a,
      "SELECT id, request_id, CAST(applied AS INTEGER) AS applied FROM events WHERE source = 'system' ORDER BY seq",
    );
  const status = async (id: string) =>
    (await queryRow<{ status: string }>(a, 'SELECT status FROM payment_requests WHERE id = ?', id))?.status;

  beforeEach(async () => {
    // pr_1 expires at T0 + 6 min, pr_2 at T0 + 15 min.
    await ingestEvents(a, [created('pr_1'), step('pr_1', 'sent', MINUTE)], 'api', { now: T0 + 2 * MINUTE, settings });
    await ingestEvents(a, [created('pr_2', 9 * MINUTE), step('pr_2', 'sent', 10 * MINUTE)], 'api', {
      now: T0 + 11 * MINUTE,
      settings,
    });
  });

  it('records one expiry, and goes on on the other instance a lease period after the holder died', async () => {
    let nowA = T0 + 7 * MINUTE;
    let nowB = T0 + 7 * MINUTE;
    const sweeperA = createExpirySweeper(() => a, 2000, { holder: 'instance-a', now: () => nowA });
    const sweeperB = createExpirySweeper(() => b, 2000, { holder: 'instance-b', now: () => nowB });

    expect(await sweeperA.tick()).toBe(1);
    expect(await sweeperB.tick()).toBeNull();
    expect(await sweeperA.tick()).toBe(0);
    expect(await systemEvents()).toEqual([
      { id: systemExpiryEventId('pr_1', T0 + 6 * MINUTE), request_id: 'pr_1', applied: 1 },
    ]);
    expect(await status('pr_1')).toBe('expired');

    // A's last tick renews the lease to T0 + 15 min + 5 s (3 × 2 s); then A dies without releasing it.
    nowA = T0 + 15 * MINUTE - 1000;
    expect(await sweeperA.tick()).toBe(0);
    expect(await leaseRow(EXPIRY_SWEEPER_LEASE)).toEqual({ holder: 'instance-a', expires_at: T0 + 15 * MINUTE + 5000 });

    // pr_2 is due, but the lease is still A's: B does not sweep.
    nowB = T0 + 15 * MINUTE + 4999;
    expect(await sweeperB.tick()).toBeNull();
    expect(await status('pr_2')).toBe('sent');

    // The lease has run out: B takes it and expires pr_2, once.
    nowB = T0 + 15 * MINUTE + 5000;
    expect(await sweeperB.tick()).toBe(1);
    expect(await leaseRow(EXPIRY_SWEEPER_LEASE)).toEqual({
      holder: 'instance-b',
      expires_at: T0 + 15 * MINUTE + 11_000,
    });
    expect(await status('pr_2')).toBe('expired');
    expect(await systemEvents()).toEqual([
      { id: systemExpiryEventId('pr_1', T0 + 6 * MINUTE), request_id: 'pr_1', applied: 1 },
      { id: systemExpiryEventId('pr_2', T0 + 15 * MINUTE), request_id: 'pr_2', applied: 1 },
    ]);

    // A comes back (it was only stalled): it is refused while B renews.
    nowA = T0 + 15 * MINUTE + 6000;
    expect(await sweeperA.tick()).toBeNull();
  });

  it('records an expiry once when the other instance recorded it after this sweep read the request due', async () => {
    const now = T0 + 7 * MINUTE;
    const due = await queryRow(a, 'SELECT expiry_due_at FROM payment_requests WHERE id = ?', 'pr_1');
    expect(due).toEqual({ expiry_due_at: T0 + 6 * MINUTE });
    expect(await runExpirySweep(b, now)).toBe(1);
    // A read pr_1 due before B's sweep committed (A stalled past its lease, or B's batch recorded it):
    // the row as A read it.
    await sqlRun(a, 'UPDATE payment_requests SET expiry_due_at = ? WHERE id = ?', [T0 + 6 * MINUTE, 'pr_1']);
    expect(await runExpirySweep(a, now)).toBe(0);
    expect(await systemEvents()).toEqual([
      { id: systemExpiryEventId('pr_1', T0 + 6 * MINUTE), request_id: 'pr_1', applied: 1 },
    ]);
  });

  it('hands over at once on a clean stop', async () => {
    const now = T0 + 16 * MINUTE;
    const sweeperA = createExpirySweeper(() => a, 2000, { holder: 'instance-a', now: () => now });
    const sweeperB = createExpirySweeper(() => b, 2000, { holder: 'instance-b', now: () => now });
    expect(await sweeperA.tick()).toBe(2);
    expect(await sweeperB.tick()).toBeNull();
    await sweeperA.release();
    expect(await sweeperB.tick()).toBe(0);
    expect(await leaseRow(EXPIRY_SWEEPER_LEASE)).toEqual({ holder: 'instance-b', expires_at: now + 6000 });
  });

  describe('a backlog longer than one batch', () => {
    const now = T0 + 16 * MINUTE;
    beforeEach(async () => {
      const links = Array.from({ length: EXPIRY_SWEEP_BATCH }, (_, i) => `pr_b${i}`);
      await ingestEvents(
        a,
        links.flatMap((id) => [created(id), step(id, 'sent', MINUTE)]),
        'api',
        {
          now: T0 + 2 * MINUTE,
          settings,
        },
      );
    });

    it('renews the lease between batches (the timer cannot while the sweep runs)', async () => {
      const times = [now, now + 1000];
      const sweeper = createExpirySweeper(() => a, 2000, { holder: 'instance-a', now: () => times.shift()! });
      expect(await sweeper.tick()).toBe(EXPIRY_SWEEP_BATCH + 2);
      expect(times).toEqual([]);
      expect(await leaseRow(EXPIRY_SWEEPER_LEASE)).toEqual({ holder: 'instance-a', expires_at: now + 1000 + 6000 });
    });

    // SQLite only: the takeover is written from inside the sweeper's (synchronous) clock, between two
    // batches, which only a synchronous driver can do.
    it.skipIf(ON_POSTGRES)(
      'stops after the batch under way when the lease was lost, and the new holder goes on',
      async () => {
        const times = [now, now + 7000];
        const sweeperA = createExpirySweeper(() => a, 2000, {
          holder: 'instance-a',
          now: () => {
            if (times.length === 1) {
              // A stalled past its lease during the first batch, and B took the lease over meanwhile.
              b.$client
                .prepare("UPDATE leases SET holder = 'instance-b', expires_at = ? WHERE name = ?")
                .run(now + 6500 + 6000, EXPIRY_SWEEPER_LEASE);
            }
            return times.shift()!;
          },
        });
        expect(await sweeperA.tick()).toBe(EXPIRY_SWEEP_BATCH);
        const sweeperB = createExpirySweeper(() => b, 2000, { holder: 'instance-b', now: () => now + 7000 });
        expect(await sweeperB.tick()).toBe(2);
        expect((await systemEvents()).length).toBe(EXPIRY_SWEEP_BATCH + 2);
      },
    );
  });

  it("startExpirySweeper sweeps under this process's lease and stopExpirySweeper releases it", async () => {
    vi.useFakeTimers({ now: T0 + 16 * MINUTE, toFake: ['setInterval', 'clearInterval', 'Date'] });
    try {
      startExpirySweeper(() => a, 1000);
      vi.advanceTimersByTime(1000);
      // The tick's sweep is asynchronous: wait for its two expiries, then the lease is this process's.
      // (A "does not hang" bound: on a loaded 2-core machine the first tick, which first asks after
      // unfinished Pays, overran waitFor's default 1 s.)
      await vi.waitFor(async () => expect(await systemEvents()).toHaveLength(2), { timeout: 15_000 });
      expect(await leaseRow(EXPIRY_SWEEPER_LEASE)).toEqual({
        holder: processHolder(),
        expires_at: T0 + 16 * MINUTE + 6000,
      });
      await stopExpirySweeper();
      expect(await leaseRow(EXPIRY_SWEEPER_LEASE)).toBeUndefined();
    } finally {
      await stopExpirySweeper();
      vi.useRealTimers();
    }
  });
});

describe('report scheduler on two instances', () => {
  const form = new URLSearchParams({
    name: 'Daily requests',
    report: 'payment-requests',
    format: 'csv',
    cadence: 'daily',
    runAt: '06:00',
    timezone: 'America/New_York',
  });
  const fileCount = async () => (await queryRow<{ n: number }>(a, 'SELECT count(*) AS n FROM report_files'))?.n;

  it('runs a due schedule once, and on the other instance once the holder died', async () => {
    const { userId } = await createServiceToken(a, { role: 'manager', name: 'Finance' });
    expect((await createSchedule(a, (await loadViewer(a, userId))!, form, Date.parse('2026-10-31T12:00:00Z'))).ok).toBe(
      true,
    );
    let now = Date.parse('2026-11-01T11:00:20Z');
    const schedulerA = createReportScheduler(() => a, 30_000, { holder: 'instance-a', now: () => now });
    const schedulerB = createReportScheduler(() => b, 30_000, { holder: 'instance-b', now: () => now });

    const [runA, runB] = await Promise.all([await schedulerA.tick(), await schedulerB.tick()]);
    expect(runA?.map((file) => file.fileName)).toEqual(['payment-requests_2026-10-31_2026-10-31_America-New_York.csv']);
    expect(runB).toBeNull();
    expect(await fileCount()).toBe(1);
    expect(await leaseRow(REPORT_SCHEDULER_LEASE)).toEqual({ holder: 'instance-a', expires_at: now + 90_000 });

    // A dies; the next day's run is B's (A's lease ran out long before).
    now = Date.parse('2026-11-02T11:00:00Z');
    expect((await schedulerB.tick())?.map((file) => file.fileName)).toEqual([
      'payment-requests_2026-11-01_2026-11-01_America-New_York.csv',
    ]);
    expect(await fileCount()).toBe(2);
    expect(await schedulerA.tick()).toBeNull();

    // A clean stop releases the lease.
    await schedulerB.stop();
    expect(await leaseRow(REPORT_SCHEDULER_LEASE)).toBeUndefined();
  });
});
