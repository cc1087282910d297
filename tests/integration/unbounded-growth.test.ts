import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { changePassword } from '../../app/http/password-change.server';
import { signIn } from '../../app/http/sign-in.server';
import { getIngestionTotals } from '../../app/read/ingestion-health.server';
import { listSchedules } from '../../app/read/reports.server';
import { createServiceToken, loadViewer } from '../../app/write/api-tokens.server';
import {
  HOUSEKEEPING_BATCH,
  HOUSEKEEPING_BATCH_BYTES,
  runHousekeeping,
  withinBytes,
} from '../../app/write/housekeeping.server';
import { KEPT_FILES_OF_DELETED_SCHEDULES, runSchedule } from '../../app/write/report-scheduler.server';
import { createSchedule, deleteSchedule, SCHEDULES_PER_OWNER } from '../../app/write/report-schedules.server';
import {
  ACCOUNT_SLOWDOWN_AFTER,
  MAX_FAILURES_PER_ACCOUNT_AND_ADDRESS,
  MAX_FAILURES_PER_ADDRESS,
  MAX_SLOWED_WAITING,
  recordSignInFailure,
  reserveSlowedTurn,
  SLOWED_ATTEMPT_MS,
  THROTTLE_WINDOW_MS,
} from '../../app/write/sign-in-throttle.server';
import { closeDatabase, type Db, openDatabaseUrl, sqlRun } from '../../db/client';
import { closeTestDb, createTestDb, queryRow, queryRows } from '../support/db';
import { startServer, type TestServer } from '../support/server';
import { addUser } from '../support/users';

/**
 * Session 38: storage that what a client sends (signed in or not), or time alone, could grow without
 * bound. Each test counts the rows before and after.
 */
async function count(db: Db, table: string, where = 'TRUE'): Promise<number> {
  return Number(((await queryRow(db, `SELECT count(*) AS n FROM ${table} WHERE ${where}`)) as { n: number }).n);
}

const request = () => new Request('http://app.test/login', { method: 'POST' });

describe('sign-in refusals (service level)', () => {
  let db: Db;
  beforeEach(async () => {
    db = (await createTestDb()).db;
  });
  afterEach(() => closeTestDb(db));

  it('a locked-out address adds one audit row per window, not one per attempt', async () => {
    const ip = '203.0.113.77';
    for (let i = 0; i < MAX_FAILURES_PER_ADDRESS; i++) {
      expect(await signIn(db, request(), `nobody${i}@example.test`, 'wrong', ip)).toEqual({
        ok: false,
        reason: 'invalid',
      });
    }
    const auditBefore = await count(db, 'audit_log');
    const failuresBefore = await count(db, 'login_failures');
    expect(auditBefore).toBe(MAX_FAILURES_PER_ADDRESS);
    for (let i = 0; i < 200; i++) {
      expect(await signIn(db, request(), `victim${i}@example.test`, 'wrong', ip)).toEqual({
        ok: false,
        reason: 'throttled',
      });
    }
    // One audit row says the address was refused; the 199 others add nothing anywhere.
    expect(await count(db, 'audit_log')).toBe(auditBefore + 1);
    expect(
      (await queryRows(db, "SELECT actor_name, details, ip FROM audit_log WHERE details LIKE '%throttled%'")).map(
        (row) => ({ ...row, details: JSON.parse((row as { details: string }).details) }),
      ),
    ).toEqual([{ actor_name: 'victim0@example.test', details: { reason: 'throttled', scope: 'address' }, ip }]);
    expect(await count(db, 'login_failures', "key NOT LIKE 'audited:%'")).toBe(failuresBefore);
    // A window later the address is audited again (once), as its first refusal of that window.
    const later = Date.now() + THROTTLE_WINDOW_MS + 1000;
    for (let i = 0; i < MAX_FAILURES_PER_ADDRESS; i++) {
      await signIn(db, request(), `again${i}@example.test`, 'wrong', ip, later);
    }
    for (let i = 0; i < 5; i++) await signIn(db, request(), 'victim@example.test', 'wrong', ip, later);
    expect(await count(db, 'audit_log', "details LIKE '%throttled%'")).toBe(2);
  });

  it('a slowed account whose turns are all taken adds one "busy" audit row per window, not one per attempt', async () => {
    const { email } = await addUser(db, { role: 'manager' });
    const now = Date.now();
    for (let i = 0; i < ACCOUNT_SLOWDOWN_AFTER; i++) await recordSignInFailure(db, email, `10.9.0.${i}`, now);
    // Every turn taken (reserved a minute ahead, so none frees while the test runs).
    for (let i = 0; i < MAX_SLOWED_WAITING; i++) await reserveSlowedTurn(db, email, SLOWED_ATTEMPT_MS, now + 60_000);
    const auditBefore = await count(db, 'audit_log');
    for (let i = 0; i < 100; i++) {
      expect(await signIn(db, request(), email, 'wrong', null)).toEqual({ ok: false, reason: 'busy' });
    }
    expect(await count(db, 'audit_log')).toBe(auditBefore + 1);
    expect(await count(db, 'audit_log', "details LIKE '%busy%'")).toBe(1);
  });

  it('a signed-in person locked out of changing their password adds one audit row per window', async () => {
    const user = await addUser(db, { role: 'agent', agentId: 'ag_1', name: 'Ana Agent' });
    const change = async (currentPassword: string) =>
      await changePassword(
        { db, actor: { userId: user.id, name: 'Ana Agent' }, request: request(), ip: '10.0.5.5' },
        { currentPassword, newPassword: 'a brand new password', confirmPassword: 'a brand new password' },
      );
    for (let i = 0; i < MAX_FAILURES_PER_ACCOUNT_AND_ADDRESS; i++) expect((await change(`guess ${i}`)).ok).toBe(false);
    for (let i = 0; i < 100; i++) expect(await change(`guess ${i}`)).toMatchObject({ ok: false, status: 429 });
    expect(
      (await queryRows(db, 'SELECT details FROM audit_log ORDER BY seq')).map((row) =>
        JSON.parse((row as { details: string }).details),
      ),
    ).toEqual([
      ...Array.from({ length: MAX_FAILURES_PER_ACCOUNT_AND_ADDRESS }, () => ({ reason: 'wrong_password' })),
      { reason: 'throttled' },
    ]);
  });
});

describe('sign-in input over HTTP', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer();
  });
  afterAll(() => server.stop());

  it('refuses an email longer than 254 characters before anything is stored', async () => {
    const db = openDatabaseUrl(server.dbFile);
    try {
      const post = async (email: string) =>
        await fetch(`${server.url}/login`, {
          method: 'POST',
          redirect: 'manual',
          headers: { 'content-type': 'application/x-www-form-urlencoded', origin: server.url },
          body: new URLSearchParams({ email, password: 'wrong' }).toString(),
        });
      const long = `${'a'.repeat(60_000)}@example.test`;
      const response = await post(long);
      expect(response.status).toBe(400);
      expect(await response.text()).toContain('at most 254 characters');
      expect(await count(db, 'audit_log')).toBe(0);
      expect(await count(db, 'login_failures')).toBe(0);
      // 254 characters is an email still: counted as any wrong password is.
      const longest = `${'b'.repeat(254 - '@example.test'.length)}@example.test`;
      expect((await post(longest)).status).toBe(401);
      expect(await count(db, 'audit_log')).toBe(1);
    } finally {
      await closeDatabase(db);
    }
  });
});

const DAY = 86_400_000;
const NOW = Date.parse('2026-12-01T12:00:00Z');

/** `n` rejected events received at `at` (seq in that order), by one statement on either engine. */
async function addRejected(db: Db, n: number, at: number): Promise<void> {
  await sqlRun(
    db,
    `WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?)
     INSERT INTO rejected_events (event_id, received_at, source, code, path, message, raw)
     SELECT 'evt_' || i, ?, 'api', 'invalid_currency', 'paymentRequest.currency', 'bad', '{}' FROM n`,
    [n, at],
  );
}

describe('housekeeping (service level)', () => {
  let db: Db;
  beforeEach(async () => {
    db = (await createTestDb()).db;
  });
  afterEach(() => closeTestDb(db));

  it('deletes what is past and keeps the rest, exactly', async () => {
    const { id: userId } = await addUser(db, { role: 'agent', agentId: 'ag_1' });
    const session = (hash: string, lastSeenAt: number, expiresAt: number) =>
      sqlRun(
        db,
        'INSERT INTO sessions (id_hash, user_id, created_at, last_seen_at, expires_at) VALUES (?, ?, ?, ?, ?)',
        [hash, userId, NOW - 2 * DAY, lastSeenAt, expiresAt],
      );
    await session('past_end', NOW - 60_000, NOW - 1);
    await session('idle', NOW - 60 * 60_000 - 1, NOW + DAY);
    await session('live', NOW - 60_000, NOW + DAY);
    const key = (name: string, createdAt: number) =>
      sqlRun(
        db,
        "INSERT INTO idempotency_keys (user_id, key, body_hash, request_id, created_at) VALUES (?, ?, 'h', 'pr_1', ?)",
        [userId, name, createdAt],
      );
    await key('day_old', NOW - DAY);
    await key('older', NOW - 25 * 60 * 60_000);
    await key('fresh', NOW - 60_000);
    for (const at of [NOW - 16 * 60_000, NOW - 15 * 60_000 - 1, NOW - 60_000])
      await sqlRun(db, "INSERT INTO login_failures (key, at) VALUES ('ip:10.0.0.1', ?)", [at]);
    await sqlRun(db, "INSERT INTO sign_in_slots (account, next_at) VALUES ('account:gone@x.test', ?)", [NOW - 1]);
    await sqlRun(db, "INSERT INTO sign_in_slots (account, next_at) VALUES ('account:waits@x.test', ?)", [NOW + 2000]);
    for (const [name, expiresAt] of [
      ['pay:pr_dead', NOW - 2 * 60 * 60_000],
      ['pay:pr_recent', NOW - 60_000],
      ['expiry-sweeper', NOW + 5000],
    ] as const)
      await sqlRun(db, "INSERT INTO leases (name, holder, expires_at) VALUES (?, 'h', ?)", [name, expiresAt]);
    await addRejected(db, 3, NOW - 31 * DAY);
    await addRejected(db, 12, NOW - DAY);
    await sqlRun(db, "INSERT INTO rejection_codes (code, events) VALUES ('invalid_currency', 15)");

    expect(await runHousekeeping(db, NOW, { rejectedEventsMs: 30 * DAY, rejectedEventsKept: 10 })).toEqual({
      sessions: 2,
      idempotencyKeys: 2,
      loginFailures: 2,
      signInSlots: 1,
      leases: 1,
      rejectedEvents: 5,
    });
    expect(await queryRows(db, 'SELECT id_hash FROM sessions')).toEqual([{ id_hash: 'live' }]);
    expect(await queryRows(db, 'SELECT key FROM idempotency_keys')).toEqual([{ key: 'fresh' }]);
    expect(await count(db, 'login_failures')).toBe(1);
    expect(await queryRows(db, 'SELECT account FROM sign_in_slots')).toEqual([{ account: 'account:waits@x.test' }]);
    expect(await queryRows(db, 'SELECT name FROM leases ORDER BY name')).toEqual([
      { name: 'expiry-sweeper' },
      { name: 'pay:pr_recent' },
    ]);
    // The newest ten: the last ten of the twelve received a day ago.
    expect(
      (await queryRows(db, 'SELECT event_id FROM rejected_events ORDER BY seq')).map((row) => row.event_id),
    ).toEqual(Array.from({ length: 10 }, (_, i) => `evt_${i + 3}`));
    // The page's "all" still counts every rejected event ever (rejection_codes), not the kept ten.
    expect((await getIngestionTotals(db, NOW)).rejected).toBe(15);
    // Run again: nothing more is due.
    expect(await runHousekeeping(db, NOW, { rejectedEventsMs: 30 * DAY, rejectedEventsKept: 10 })).toEqual({
      sessions: 0,
      idempotencyKeys: 0,
      loginFailures: 0,
      signInSlots: 0,
      leases: 0,
      rejectedEvents: 0,
    });
  });

  it('deletes a backlog of rejected events in batches, stopping when the lease is lost', async () => {
    await addRejected(db, 2 * HOUSEKEEPING_BATCH + 1, NOW - 40 * DAY);
    let asked = 0;
    const keepGoing = () => ++asked < 2;
    const counts = await runHousekeeping(db, NOW, { rejectedEventsMs: 30 * DAY, rejectedEventsKept: 1000 }, keepGoing);
    expect(counts.rejectedEvents).toBe(2 * HOUSEKEEPING_BATCH);
    expect(asked).toBe(2);
    expect(await count(db, 'rejected_events')).toBe(1);
  });

  it('deletes large rejected bodies a few at a time, never 1,000 of up to 10 MB in one statement', async () => {
    // Three bodies of 6 MB against a budget of 16 MB a statement: two, then one (the event loop free
    // between; a lease lost after the first statement leaves the third).
    const body = 'x'.repeat(6 * 1024 * 1024);
    for (let i = 0; i < 3; i += 1) {
      await sqlRun(
        db,
        `INSERT INTO rejected_events (event_id, received_at, source, code, path, message, raw)
         VALUES (?, ?, 'api', 'invalid_json', '', 'bad', ?)`,
        [`evt_big_${i}`, NOW - 40 * DAY, body],
      );
    }
    let asked = 0;
    const counts = await runHousekeeping(db, NOW, { rejectedEventsMs: 30 * DAY, rejectedEventsKept: 1000 }, () => {
      asked += 1;
      return false;
    });
    expect(counts.rejectedEvents).toBe(2);
    expect(asked).toBe(1);
    expect(await queryRows(db, 'SELECT event_id FROM rejected_events')).toEqual([{ event_id: 'evt_big_2' }]);
  });
});

describe('withinBytes', () => {
  it('takes rows while their bytes stay within the budget, and always the first', () => {
    const rows = (sizes: number[]) => sizes.map((bytes, seq) => ({ seq, bytes }));
    expect(withinBytes(rows([5, 5, 6, 1]), 10).map((row) => row.seq)).toEqual([0, 1]);
    expect(withinBytes(rows([5, 5]), 10).map((row) => row.seq)).toEqual([0, 1]);
    expect(withinBytes(rows([25, 1]), 10).map((row) => row.seq)).toEqual([0]);
    expect(withinBytes([], 10)).toEqual([]);
    expect(HOUSEKEEPING_BATCH_BYTES).toBe(16 * 1024 * 1024);
  });
});

describe('scheduled reports and their kept files', () => {
  let db: Db;
  beforeEach(async () => {
    db = (await createTestDb()).db;
  });
  afterEach(() => closeTestDb(db));

  const form = (name: string) =>
    new URLSearchParams({ name, report: 'agents', format: 'csv', cadence: 'daily', runAt: '06:00', timezone: 'UTC' });
  // In 2030: nothing here is due by the clock.
  const MADE = Date.parse('2030-03-01T12:00:00Z');

  it(`one person keeps at most ${SCHEDULES_PER_OWNER} schedules`, async () => {
    const made = await createServiceToken(db, { role: 'manager', name: 'Mia Manager' });
    const owner = (await loadViewer(db, made.userId))!;
    for (let i = 0; i < SCHEDULES_PER_OWNER; i++)
      expect((await createSchedule(db, owner, form(`R${i}`), MADE)).ok).toBe(true);
    expect(await createSchedule(db, owner, form('One more'), MADE)).toEqual({
      ok: false,
      fieldErrors: {},
      formError: 'You have 25 scheduled reports, the most one person may keep: delete one to schedule another.',
    });
    expect(await count(db, 'scheduled_reports')).toBe(SCHEDULES_PER_OWNER);
    // Another person has their own allowance; one deleted frees a place.
    const other = (await loadViewer(db, (await createServiceToken(db, { role: 'manager', name: 'Olu' })).userId))!;
    expect((await createSchedule(db, other, form('Theirs'), MADE)).ok).toBe(true);
    const [first] = await queryRows<{ id: string }>(
      db,
      'SELECT id FROM scheduled_reports WHERE owner_user_id = ? LIMIT 1',
      owner.userId,
    );
    expect(await deleteSchedule(db, owner, first!.id)).not.toBeNull();
    expect((await createSchedule(db, owner, form('Again'), MADE)).ok).toBe(true);
  });

  it(`keeps the newest ${KEPT_FILES_OF_DELETED_SCHEDULES} files of a person's deleted schedules when a run makes one`, async () => {
    const made = await createServiceToken(db, { role: 'manager', name: 'Mia Manager' });
    const owner = (await loadViewer(db, made.userId))!;
    const orphans = KEPT_FILES_OF_DELETED_SCHEDULES + 5;
    for (let i = 0; i < orphans; i++) {
      await sqlRun(
        db,
        `INSERT INTO report_files (id, schedule_id, owner_user_id, file_name, path, format, rows, bytes, created_at)
         VALUES (?, NULL, ?, 'old.csv', ?, 'csv', 0, 0, ?)`,
        [`rpf_old_${String(i).padStart(3, '0')}`, owner.userId, `tmp/tests/nothing-${i}.csv`, MADE - DAY + i],
      );
    }
    // Someone else's stay whatever this person makes.
    const other = (await createServiceToken(db, { role: 'manager', name: 'Olu' })).userId;
    await sqlRun(
      db,
      `INSERT INTO report_files (id, schedule_id, owner_user_id, file_name, path, format, rows, bytes, created_at)
       VALUES ('rpf_theirs', NULL, ?, 'old.csv', 'tmp/tests/nothing.csv', 'csv', 0, 0, ?)`,
      [other, MADE - 2 * DAY],
    );
    expect((await createSchedule(db, owner, form('Daily'), MADE)).ok).toBe(true);
    const [schedule] = await listSchedules(db, owner);
    expect(await runSchedule(db, schedule!, schedule!.nextRunAt, schedule!.nextRunAt)).not.toBeNull();
    const left = (
      await queryRows<{ id: string }>(db, 'SELECT id FROM report_files WHERE schedule_id IS NULL ORDER BY id')
    ).map((row) => row.id);
    expect(left).toEqual([
      ...Array.from({ length: KEPT_FILES_OF_DELETED_SCHEDULES }, (_, i) => `rpf_old_${String(i + 5).padStart(3, '0')}`),
      'rpf_theirs',
    ]);
    expect(await count(db, 'report_files', 'schedule_id IS NOT NULL')).toBe(1);
  });
});

describe('housekeeping in the built server', () => {
  it('runs on its own: rejected events past their retention and slowed turns past go, the rest stay', async () => {
    const test = await createTestDb();
    const now = Date.now();
    await addRejected(test.db, 7, now - 31 * DAY);
    await addRejected(test.db, 2, now - DAY);
    await sqlRun(test.db, "INSERT INTO sign_in_slots (account, next_at) VALUES ('account:gone@x.test', ?)", [now - 1]);
    await closeTestDb(test.db);
    const server = await startServer({ HOUSEKEEPING_MS: '1000' }, { dbFile: test.file });
    const db = openDatabaseUrl(server.dbFile);
    try {
      const deadline = Date.now() + 15_000;
      while ((await count(db, 'rejected_events')) !== 2 && Date.now() < deadline)
        await new Promise((resolve) => setTimeout(resolve, 200));
      expect(await count(db, 'rejected_events')).toBe(2);
      expect(await count(db, 'sign_in_slots')).toBe(0);
      expect(await queryRows(db, "SELECT name FROM leases WHERE name = 'housekeeping'")).toEqual([
        { name: 'housekeeping' },
      ]);
    } finally {
      await closeDatabase(db);
      await server.stop();
    }
  });
});
