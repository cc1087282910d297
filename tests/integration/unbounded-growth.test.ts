import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { changePassword } from '../../app/http/password-change.server';
import { signIn } from '../../app/http/sign-in.server';
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
import type { Db } from '../../db/client';
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
    const { openDatabaseUrl } = await import('../../db/client');
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
      const { closeDatabase } = await import('../../db/client');
      await closeDatabase(db);
    }
  });
});
