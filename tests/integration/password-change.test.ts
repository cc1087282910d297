import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { changePassword, THROTTLED_MESSAGE } from '../../app/http/password-change.server';
import { createSession, getSessionUserId } from '../../app/http/session.server';
import { signIn } from '../../app/http/sign-in.server';
import { verifyPassword } from '../../app/lib/password.server';
import { type AdminContext, inviteUser, resetUserPassword } from '../../app/write/admin.server';
import { createServiceToken } from '../../app/write/api-tokens.server';
import { MAX_FAILURES_PER_ACCOUNT_AND_ADDRESS } from '../../app/write/sign-in-throttle.server';
import { closeDatabase, type Db, openDatabaseUrl, sqlRun } from '../../db/client';
import { DEMO_PASSWORD, DEMO_USERS, ensureDemoUsers } from '../../seed/demo-users';
import { closeTestDb, createTestDb, queryRow, queryRows } from '../support/db';
import { startServer, type TestServer } from '../support/server';
import { addUser, addUserAt, signInOverHttp, TEST_PASSWORD } from '../support/users';

const NEW_PASSWORD = 'a brand new passphrase';

const withCookie = (cookie: string) => new Request('http://app.test/account', { headers: { cookie } });
const cookieOf = (setCookie: string) => setCookie.split(';')[0]!;

async function sessionCookie(db: Db, userId: string): Promise<string> {
  return cookieOf(await createSession(db, userId, new Request('http://app.test/'), { ip: null, userAgent: null }));
}

async function auditRows(db: Db) {
  const rows = await queryRows<{ action: string; details: string }>(
    db,
    'SELECT action, actor_user_id AS "actorUserId", actor_name AS "actorName", target, details, ip FROM audit_log ORDER BY seq',
  );
  return rows.map((row) => ({ ...row, details: JSON.parse(row.details) as unknown }));
}

async function userRow(db: Db, userId: string) {
  // The flag is an integer on SQLite and a boolean on PostgreSQL: read as 0 or 1 on both.
  return (await queryRow<{ hash: string; mustChange: number; lastLoginAt: number | null }>(
    db,
    'SELECT password_hash AS hash, CAST(must_change_password AS INTEGER) AS "mustChange", last_login_at AS "lastLoginAt" FROM users WHERE id = ?',
    userId,
  ))!;
}

describe('changing one’s password (service level)', () => {
  let db: Db;
  let user: { id: string; email: string };
  let cookie: string;
  // Real clock throughout: sign-in and the throttle's clean-up read Date.now() too.
  const change = async (input: Record<string, string>, options: { cookie?: string; ip?: string | null } = {}) =>
    await changePassword(
      {
        db,
        actor: { userId: user.id, name: 'Mia Manager' },
        request: withCookie(options.cookie ?? cookie),
        ip: options.ip === undefined ? '10.0.0.1' : options.ip,
      },
      input,
    );
  const valid = { currentPassword: TEST_PASSWORD, newPassword: NEW_PASSWORD, confirmPassword: NEW_PASSWORD };

  beforeEach(async () => {
    db = (await createTestDb()).db;
    user = await addUser(db, { role: 'manager', name: 'Mia Manager', email: 'mia@example.test' });
    cookie = await sessionCookie(db, user.id);
  });
  afterEach(() => closeTestDb(db));

  it('refuses a wrong current password, counts it as a failed attempt and audits it', async () => {
    const before = (await userRow(db, user.id)).hash;
    expect(await change({ ...valid, currentPassword: 'not my password' })).toEqual({
      ok: false,
      status: 400,
      fieldErrors: { currentPassword: 'Your current password is not correct' },
      formError: null,
    });
    expect((await userRow(db, user.id)).hash).toBe(before);
    expect(await getSessionUserId(db, withCookie(cookie))).toBe(user.id);
    expect(await queryRows(db, 'SELECT key FROM login_failures ORDER BY seq')).toEqual([
      { key: 'account:mia@example.test' },
      { key: 'pair:mia@example.test|10.0.0.1' },
      { key: 'ip:10.0.0.1' },
    ]);
    expect(await auditRows(db)).toEqual([
      {
        action: 'password_change_failed',
        actorUserId: user.id,
        actorName: 'Mia Manager',
        target: null,
        details: { reason: 'wrong_password' },
        ip: '10.0.0.1',
      },
    ]);
  });

  it.each([
    [
      'too short (11 characters)',
      { newPassword: 'abcdefghijk', confirmPassword: 'abcdefghijk' },
      { newPassword: 'Use at least 12 characters' },
    ],
    [
      'too long',
      { newPassword: 'x'.repeat(257), confirmPassword: 'x'.repeat(257) },
      { newPassword: 'Use at most 256 characters' },
    ],
    [
      'the email',
      { newPassword: ' MIA@example.test', confirmPassword: ' MIA@example.test' },
      { newPassword: 'Do not use your email address' },
    ],
    [
      'not confirmed',
      { confirmPassword: 'a brand new passphrasE' },
      { confirmPassword: 'Does not match the new password' },
    ],
    [
      'empty',
      { currentPassword: '', newPassword: '', confirmPassword: '' },
      {
        currentPassword: 'Enter your current password',
        newPassword: 'Enter a new password',
        confirmPassword: 'Enter the new password again',
      },
    ],
    [
      'the current one',
      { newPassword: TEST_PASSWORD, confirmPassword: TEST_PASSWORD },
      { newPassword: 'Choose a password other than your current one' },
    ],
  ])('refuses a new password that is %s, naming the field', async (_case, override, fieldErrors) => {
    const before = (await userRow(db, user.id)).hash;
    expect(await change({ ...valid, ...override })).toEqual({ ok: false, status: 400, fieldErrors, formError: null });
    expect((await userRow(db, user.id)).hash).toBe(before);
    expect(await auditRows(db)).toEqual([]);
    expect(await queryRow(db, 'SELECT count(*) AS n FROM login_failures')).toEqual({ n: 0 });
  });

  it('counts characters, not UTF-16 units: 12 emoji are long enough, 11 are not', async () => {
    expect(await change({ ...valid, newPassword: '🔑'.repeat(11), confirmPassword: '🔑'.repeat(11) })).toMatchObject({
      fieldErrors: { newPassword: 'Use at least 12 characters' },
    });
    expect((await change({ ...valid, newPassword: '🔑'.repeat(12), confirmPassword: '🔑'.repeat(12) })).ok).toBe(true);
  });

  it('changes the password, ends the other sessions, rotates this one and audits it', async () => {
    const laptop = await sessionCookie(db, user.id);
    const phone = await sessionCookie(db, user.id);
    const someoneElse = await addUser(db, { role: 'admin' });
    const theirs = await sessionCookie(db, someoneElse.id);
    const lastLoginAt = (await userRow(db, user.id)).lastLoginAt;

    const result = await change(valid);
    expect(result).toEqual({
      ok: true,
      setCookie: expect.stringMatching(
        /^pld_session=[A-Za-z0-9+/]{60}\.(?:[A-Za-z0-9]|%2B|%2F){43}; Max-Age=43200; Path=\/; HttpOnly; SameSite=Lax$/,
      ),
      wasTemporary: false,
      otherSessionsEnded: 2,
    });
    if (!result.ok) return;
    const rotated = cookieOf(result.setCookie);
    expect(await getSessionUserId(db, withCookie(cookie))).toBeNull();
    expect(await getSessionUserId(db, withCookie(laptop))).toBeNull();
    expect(await getSessionUserId(db, withCookie(phone))).toBeNull();
    expect(await getSessionUserId(db, withCookie(rotated))).toBe(user.id);
    expect(await getSessionUserId(db, withCookie(theirs))).toBe(someoneElse.id);
    expect(await queryRow(db, 'SELECT count(*) AS n FROM sessions WHERE user_id = ?', user.id)).toEqual({ n: 1 });

    const row = await userRow(db, user.id);
    expect(await verifyPassword(NEW_PASSWORD, row.hash)).toBe(true);
    expect(await verifyPassword(TEST_PASSWORD, row.hash)).toBe(false);
    expect(row.lastLoginAt).toBe(lastLoginAt);
    expect(await auditRows(db)).toEqual([
      {
        action: 'password_change',
        actorUserId: user.id,
        actorName: 'Mia Manager',
        target: user.id,
        details: { wasTemporary: false, otherSessionsEnded: 2 },
        ip: '10.0.0.1',
      },
    ]);
    expect(JSON.stringify(await auditRows(db))).not.toContain(NEW_PASSWORD);
    expect(await signIn(db, new Request('http://app.test/'), user.email, TEST_PASSWORD, null)).toEqual({
      ok: false,
      reason: 'invalid',
    });
    expect(await signIn(db, new Request('http://app.test/'), user.email, NEW_PASSWORD, null)).toMatchObject({
      ok: true,
      mustChangePassword: false,
    });
  });

  it('throttles wrong current passwords like sign-ins, sharing the per-account-and-address count', async () => {
    for (let i = 0; i < MAX_FAILURES_PER_ACCOUNT_AND_ADDRESS - 1; i++) {
      expect((await change({ ...valid, currentPassword: `guess ${i}` }, { ip: '10.0.1.1' })).ok).toBe(false);
    }
    // The fifth wrong guess comes through the sign-in form: the limit is one for both doors.
    expect(await signIn(db, new Request('http://app.test/'), user.email, 'guess 4', '10.0.1.1')).toEqual({
      ok: false,
      reason: 'invalid',
    });
    expect(await change(valid, { ip: '10.0.1.1' })).toEqual({
      ok: false,
      status: 429,
      fieldErrors: {},
      formError: THROTTLED_MESSAGE,
    });
    expect(await signIn(db, new Request('http://app.test/'), user.email, TEST_PASSWORD, '10.0.1.1')).toEqual({
      ok: false,
      reason: 'throttled',
    });
    // Another address is not locked out: the lock-out cannot be turned against the owner.
    expect((await signIn(db, new Request('http://app.test/'), user.email, TEST_PASSWORD, '10.0.1.2')).ok).toBe(true);
    expect(await verifyPassword(TEST_PASSWORD, (await userRow(db, user.id)).hash)).toBe(true);
    expect(
      (await auditRows(db)).filter((row) => row.action === 'password_change_failed').map((row) => row.details),
    ).toEqual([
      { reason: 'wrong_password' },
      { reason: 'wrong_password' },
      { reason: 'wrong_password' },
      { reason: 'wrong_password' },
      { reason: 'throttled' },
    ]);
  });

  it('clears the address’s failed attempts for the account once the current password is proven', async () => {
    await change({ ...valid, currentPassword: 'one wrong guess' }, { ip: '10.0.3.3' });
    expect((await change(valid, { ip: '10.0.3.3' })).ok).toBe(true);
    // The account-wide count (for the slow-down) stays: a correct password from one place says nothing of others.
    expect(await queryRows(db, 'SELECT key FROM login_failures ORDER BY seq')).toEqual([
      { key: `account:${user.email}` },
      { key: 'ip:10.0.3.3' },
    ]);
  });

  it('refuses a service user, who has no password', async () => {
    const { userId } = await createServiceToken(db, { role: 'manager', name: 'BI' });
    const result = await changePassword(
      { db, actor: { userId, name: 'BI' }, request: new Request('http://app.test/account'), ip: null },
      valid,
    );
    expect(result).toEqual({
      ok: false,
      status: 403,
      fieldErrors: {},
      formError: 'This account has no password to change.',
    });
  });
});

describe('temporary passwords must be replaced', () => {
  let db: Db;
  let ctx: AdminContext;
  beforeEach(async () => {
    db = (await createTestDb()).db;
    const admin = await addUser(db, { role: 'admin', name: 'Ada Admin' });
    ctx = { db, actor: { userId: admin.id, name: 'Ada Admin' }, ip: null };
  });
  afterEach(() => closeTestDb(db));

  it('flags an invited person; the change clears the flag and is audited as replacing a temporary password', async () => {
    const invited = await inviteUser(ctx, { name: 'Nia New', email: 'nia@example.test', role: 'manager' });
    if (!invited.ok) throw new Error('invite failed');
    expect((await userRow(db, invited.userId)).mustChange).toBe(1);
    const signedIn = await signIn(
      db,
      new Request('http://app.test/'),
      'nia@example.test',
      invited.temporaryPassword,
      null,
    );
    expect(signedIn).toMatchObject({ ok: true, role: 'manager', mustChangePassword: true });
    if (!signedIn.ok) return;
    const result = await changePassword(
      {
        db,
        actor: { userId: invited.userId, name: 'Nia New' },
        request: withCookie(cookieOf(signedIn.setCookie)),
        ip: null,
      },
      { currentPassword: invited.temporaryPassword, newPassword: NEW_PASSWORD, confirmPassword: NEW_PASSWORD },
    );
    expect(result).toMatchObject({ ok: true, wasTemporary: true, otherSessionsEnded: 0 });
    expect((await userRow(db, invited.userId)).mustChange).toBe(0);
    expect((await auditRows(db)).at(-1)).toMatchObject({
      action: 'password_change',
      target: invited.userId,
      details: { wasTemporary: true, otherSessionsEnded: 0 },
    });
  });

  it('flags a person whose password an admin reset', async () => {
    const manager = await addUser(db, { role: 'manager' });
    expect((await userRow(db, manager.id)).mustChange).toBe(0);
    const reset = await resetUserPassword(ctx, { userId: manager.id });
    if (!reset.ok) throw new Error('reset failed');
    expect((await userRow(db, manager.id)).mustChange).toBe(1);
    expect(
      await signIn(db, new Request('http://app.test/'), manager.email, reset.temporaryPassword, null),
    ).toMatchObject({
      ok: true,
      mustChangePassword: true,
    });
  });

  it('never flags the seed’s demo accounts', async () => {
    await sqlRun(db, "INSERT INTO teams (id, name, created_at) VALUES ('tm_retail', 'Retail', 0)");
    expect(await ensureDemoUsers(db)).toHaveLength(DEMO_USERS.length);
    expect(
      await queryRow(db, "SELECT count(*) AS n FROM users WHERE id LIKE 'usr_demo_%' AND must_change_password = FALSE"),
    ).toEqual({ n: DEMO_USERS.length });
    expect(await signIn(db, new Request('http://app.test/'), 'admin@paylink.test', DEMO_PASSWORD, null)).toMatchObject({
      ok: true,
      mustChangePassword: false,
    });
  });
});

describe('the forced change over HTTP', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer();
  });
  afterAll(() => server.stop());

  const get = (path: string, headers: Record<string, string>) =>
    fetch(`${server.url}${path}`, { headers, redirect: 'manual' });

  /** An admin invites an agent; returns their email and temporary password. */
  async function invite(): Promise<{ email: string; temporaryPassword: string }> {
    const db = openDatabaseUrl(server.dbFile);
    try {
      const admin = await addUser(db, { role: 'admin' });
      const result = await inviteUser(
        { db, actor: { userId: admin.id, name: 'Admin' }, ip: null },
        { name: 'Ines Invited', email: 'ines@example.test', role: 'agent', agentId: 'ag_ines', teamIds: ['tm_new'] },
      );
      if (!result.ok) throw new Error(JSON.stringify(result));
      return { email: 'ines@example.test', temporaryPassword: result.temporaryPassword };
    } finally {
      await closeDatabase(db);
    }
  }

  it('sends every signed-in page to /account until the change; the API refuses the session, tokens work', async () => {
    const db = openDatabaseUrl(server.dbFile);
    await sqlRun(db, "INSERT INTO teams (id, name, created_at) VALUES ('tm_new', 'New', 0)");
    const { token } = await createServiceToken(db, { role: 'manager', name: 'BI' });
    await closeDatabase(db);
    const { email, temporaryPassword } = await invite();

    const signedIn = await signInOverHttp(server.url, email, temporaryPassword);
    expect(signedIn.response.status).toBe(302);
    expect(signedIn.response.headers.get('location')).toBe('/account');
    const cookie = signedIn.cookie;

    for (const path of ['/', '/agent', '/dashboard', '/requests/pr_x', '/admin', '/login']) {
      const response = await get(path, { cookie });
      expect([path, response.status, response.headers.get('location')]).toEqual([path, 302, '/account']);
    }
    const account = await get('/account', { cookie });
    expect(account.status).toBe(200);
    const html = await account.text();
    expect(html).toContain('You signed in with a temporary password from an administrator.');
    expect(html).not.toContain('aria-label="Main"');

    const api = await get('/api/v1/payment-requests', { cookie });
    expect(api.status).toBe(403);
    expect(await api.json()).toEqual({
      error: { code: 'password_change_required', message: 'Change your temporary password at /account first' },
    });
    expect((await get('/api/v1/payment-requests', { authorization: `Bearer ${token}` })).status).toBe(200);

    // An action of another page is refused the same way: nothing is sent.
    const send = await fetch(`${server.url}/agent`, {
      method: 'POST',
      redirect: 'manual',
      headers: { cookie, origin: server.url, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ intent: 'send' }),
    });
    expect([send.status, send.headers.get('location')]).toEqual([302, '/account']);

    const post = (body: Record<string, string>) =>
      fetch(`${server.url}/account`, {
        method: 'POST',
        redirect: 'manual',
        headers: { cookie, origin: server.url, 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams(body),
      });
    const weak = await post({ currentPassword: temporaryPassword, newPassword: 'short', confirmPassword: 'short' });
    expect(weak.status).toBe(400);
    expect(await weak.text()).toContain('Use at least 12 characters');

    const changed = await post({
      currentPassword: temporaryPassword,
      newPassword: NEW_PASSWORD,
      confirmPassword: NEW_PASSWORD,
    });
    expect([changed.status, changed.headers.get('location')]).toEqual([302, '/agent']);
    const rotated = cookieOf(changed.headers.get('set-cookie') ?? '');
    expect(rotated).toMatch(/^pld_session=/);
    expect(rotated).not.toBe(cookie);
    expect((await get('/agent', { cookie: rotated })).status).toBe(200);
    expect((await get('/api/v1/payment-requests', { cookie: rotated })).status).toBe(200);
    const old = await get('/agent', { cookie });
    expect([old.status, old.headers.get('location')]).toEqual([302, '/login?redirectTo=%2Fagent']);

    const check = openDatabaseUrl(server.dbFile);
    expect(
      await queryRow(check, 'SELECT CAST(must_change_password AS INTEGER) AS flag FROM users WHERE email = ?', email),
    ).toEqual({ flag: 0 });
    await closeDatabase(check);
  });

  it('lets a person on a temporary password sign out', async () => {
    const user = await addUserAt(server.dbFile, { role: 'manager', email: 'flagged@example.test' });
    const db = openDatabaseUrl(server.dbFile);
    await sqlRun(db, 'UPDATE users SET must_change_password = TRUE WHERE id = ?', [user.id]);
    await closeDatabase(db);
    const { cookie } = await signInOverHttp(server.url, user.email);
    const logout = await fetch(`${server.url}/logout`, {
      method: 'POST',
      redirect: 'manual',
      headers: { cookie, origin: server.url },
    });
    expect([logout.status, logout.headers.get('location')]).toEqual([302, '/login']);
    expect(logout.headers.get('set-cookie')).toMatch(
      /^pld_session=; Path=\/; Expires=Thu, 01 Jan 1970 00:00:00 GMT; HttpOnly; Secure; SameSite=Lax$/,
    );
    const after = await get('/account', { cookie });
    expect([after.status, after.headers.get('location')]).toEqual([302, '/login?redirectTo=%2Faccount']);
  });

  it('answers a voluntary change with the page again (POST, redirect, GET) and the rotated cookie', async () => {
    const user = await addUserAt(server.dbFile, { role: 'supervisor', teamIds: ['tm_retail'] });
    const { cookie } = await signInOverHttp(server.url, user.email);
    const response = await fetch(`${server.url}/account`, {
      method: 'POST',
      redirect: 'manual',
      headers: { cookie, origin: server.url, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        currentPassword: TEST_PASSWORD,
        newPassword: NEW_PASSWORD,
        confirmPassword: NEW_PASSWORD,
      }),
    });
    expect([response.status, response.headers.get('location')]).toEqual([302, '/account?changed=1']);
    const rotated = cookieOf(response.headers.get('set-cookie') ?? '');
    const page = await get('/account?changed=1', { cookie: rotated });
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('Your password is changed. Any other sessions you had are signed out.');
    expect((await get('/dashboard', { cookie: rotated })).status).toBe(200);
    expect((await get('/dashboard', { cookie })).status).toBe(302);
  });
});
