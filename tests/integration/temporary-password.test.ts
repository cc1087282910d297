import { randomUUID } from 'node:crypto';
import { copyFileSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { changePassword } from '../../app/http/password-change.server';
import { createSession } from '../../app/http/session.server';
import { signIn } from '../../app/http/sign-in.server';
import { verifyPassword } from '../../app/lib/password.server';
import { listUsers } from '../../app/read/admin.server';
import { type AdminContext, inviteUser, resetUserPassword } from '../../app/write/admin.server';
import { closeDatabase, type Db, openDatabase, openDatabaseUrl, sqlRun } from '../../db/client';
import { MIGRATIONS_FOLDER, migrateDatabase } from '../../db/migrate';
import { ON_POSTGRES } from '../../db/tables';
import { DEMO_PASSWORD, DEMO_USERS, ensureDemoUsers } from '../../seed/demo-users';
import { closeTestDb, createTestDb, queryRow, queryRows } from '../support/db';
import { TEST_TMP } from '../support/paths';
import { startServer, type TestServer } from '../support/server';
import { addUser, signInOverHttp } from '../support/users';

const HOUR = 60 * 60 * 1000;
/** When the admin issues the temporary password, and when it stops working: 72 h later. */
const ISSUED = Date.parse('2026-11-22T12:00:00.000Z');
const EXPIRES = Date.parse('2026-11-25T12:00:00.000Z');
const EXPIRED_MESSAGE = 'Your temporary password has expired. Ask an administrator for a new one.';
const NEW_PASSWORD = 'a passphrase of my own';

const login = async (db: Db, email: string, password: string, now: number) =>
  await signIn(db, new Request('http://app.test/login'), email, password, '10.0.0.7', now);

async function auditRows(db: Db) {
  const rows = await queryRows<{ action: string; details: string }>(
    db,
    'SELECT at, action, actor_user_id AS "actorUserId", actor_name AS "actorName", target, details, ip FROM audit_log ORDER BY seq',
  );
  return rows.map((row) => ({ ...row, details: JSON.parse(row.details) as unknown }));
}

const count = async (db: Db, sql: string) => (await queryRow<{ n: number }>(db, sql))!.n;

/** The text a reader sees of some HTML (React's <!-- --> separators and tags removed). */
const textOf = (html: string) => html.replace(/<!--.*?-->/g, '').replace(/<[^>]+>/g, '');

async function userRow(db: Db, userId: string) {
  // The flag is an integer on SQLite and a boolean on PostgreSQL: read as 0 or 1 on both.
  return (await queryRow<{ hash: string; mustChange: number; expiresAt: number | null }>(
    db,
    'SELECT password_hash AS hash, CAST(must_change_password AS INTEGER) AS "mustChange", temporary_password_expires_at AS "expiresAt" FROM users WHERE id = ?',
    userId,
  ))!;
}

describe('temporary passwords expire 72 hours after an admin issues them', () => {
  let db: Db;
  let ctx: AdminContext;
  let adminId: string;

  beforeEach(async () => {
    db = (await createTestDb()).db;
    adminId = (await addUser(db, { role: 'admin', name: 'Ada Admin' })).id;
    ctx = { db, actor: { userId: adminId, name: 'Ada Admin' }, ip: null };
  });
  afterEach(() => closeTestDb(db));

  async function invite(now = ISSUED) {
    const result = await inviteUser(ctx, { name: 'Nia New', email: 'nia@example.test', role: 'manager' }, now);
    if (!result.ok) throw new Error(JSON.stringify(result));
    return result;
  }

  it('stores the expiry with the invitation and returns it to the admin', async () => {
    const invited = await invite();
    expect(invited.expiresAt).toBe(EXPIRES);
    expect(await userRow(db, invited.userId)).toMatchObject({ mustChange: 1, expiresAt: EXPIRES });
  });

  it('signs in at 72 h − 1 ms; at 72 h refuses with its own reason, no session, no throttle count, audited', async () => {
    const { userId, temporaryPassword } = await invite();
    expect(await login(db, 'nia@example.test', temporaryPassword, EXPIRES - 1)).toMatchObject({
      ok: true,
      role: 'manager',
      mustChangePassword: true,
    });
    expect(await count(db, 'SELECT count(*) AS n FROM sessions')).toBe(1);

    expect(await login(db, 'nia@example.test', temporaryPassword, EXPIRES)).toEqual({
      ok: false,
      reason: 'temporary_password_expired',
    });
    expect(await count(db, 'SELECT count(*) AS n FROM sessions')).toBe(1);
    expect(await count(db, 'SELECT count(*) AS n FROM login_failures')).toBe(0);
    expect((await auditRows(db)).at(-1)).toEqual({
      at: EXPIRES,
      action: 'sign_in_failed',
      actorUserId: null,
      actorName: 'nia@example.test',
      target: userId,
      details: { reason: 'temporary_password_expired', expiredAt: '2026-11-25T12:00:00.000Z' },
      ip: '10.0.0.7',
    });
  });

  it('tells nobody else: a wrong password for that account, or an unknown email, is just incorrect', async () => {
    await invite();
    const later = EXPIRES + 24 * HOUR;
    expect(await login(db, 'nia@example.test', 'not the temporary password', later)).toEqual({
      ok: false,
      reason: 'invalid',
    });
    expect(await login(db, 'nobody@example.test', 'not the temporary password', later)).toEqual({
      ok: false,
      reason: 'invalid',
    });
    expect((await auditRows(db)).filter((row) => row.action === 'sign_in_failed').map((row) => row.details)).toEqual([
      { reason: 'invalid' },
      { reason: 'invalid' },
    ]);
    // Wrong guesses still count towards the sign-in limit.
    expect(await count(db, "SELECT count(*) AS n FROM login_failures WHERE key LIKE 'account:%'")).toBe(2);
  });

  it('refuses to change an expired temporary password from a session opened in time, and audits it', async () => {
    const { userId, temporaryPassword } = await invite();
    const cookie = (
      await createSession(db, userId, new Request('http://app.test/'), { ip: null, userAgent: null }, EXPIRES - HOUR)
    ).split(';')[0]!;
    const before = (await userRow(db, userId)).hash;
    const result = await changePassword(
      {
        db,
        actor: { userId, name: 'Nia New' },
        request: new Request('http://app.test/account', { headers: { cookie } }),
        ip: null,
      },
      { currentPassword: temporaryPassword, newPassword: NEW_PASSWORD, confirmPassword: NEW_PASSWORD },
      EXPIRES,
    );
    expect(result).toEqual({ ok: false, status: 403, fieldErrors: {}, formError: EXPIRED_MESSAGE });
    expect(await userRow(db, userId)).toEqual({ hash: before, mustChange: 1, expiresAt: EXPIRES });
    expect((await auditRows(db)).at(-1)).toEqual({
      at: EXPIRES,
      action: 'password_change_failed',
      actorUserId: userId,
      actorName: 'Nia New',
      target: null,
      details: { reason: 'temporary_password_expired' },
      ip: null,
    });
  });

  it('forgets the expiry once the person chooses their own password, which then never expires', async () => {
    const { userId, temporaryPassword } = await invite();
    const cookie = (
      await createSession(db, userId, new Request('http://app.test/'), { ip: null, userAgent: null }, EXPIRES - 1)
    ).split(';')[0]!;
    const result = await changePassword(
      {
        db,
        actor: { userId, name: 'Nia New' },
        request: new Request('http://app.test/account', { headers: { cookie } }),
        ip: null,
      },
      { currentPassword: temporaryPassword, newPassword: NEW_PASSWORD, confirmPassword: NEW_PASSWORD },
      EXPIRES - 1,
    );
    expect(result).toMatchObject({ ok: true, wasTemporary: true });
    expect(await userRow(db, userId)).toMatchObject({ mustChange: 0, expiresAt: null });
    expect(await login(db, 'nia@example.test', NEW_PASSWORD, EXPIRES + 365 * 24 * HOUR)).toMatchObject({
      ok: true,
      mustChangePassword: false,
    });
  });

  it('a reset issues a fresh 72 hours, replacing the expired password', async () => {
    const { userId, temporaryPassword: first } = await invite();
    const resetAt = EXPIRES + 5 * HOUR;
    const reset = await resetUserPassword(ctx, { userId }, resetAt);
    if (!reset.ok) throw new Error(JSON.stringify(reset));
    expect(reset.expiresAt).toBe(Date.parse('2026-11-28T17:00:00.000Z'));
    expect(await userRow(db, userId)).toMatchObject({ mustChange: 1, expiresAt: reset.expiresAt });
    expect(await verifyPassword(first, (await userRow(db, userId)).hash)).toBe(false);
    expect((await auditRows(db)).at(-1)).toMatchObject({ at: resetAt, action: 'password_reset', target: userId });

    expect(await login(db, 'nia@example.test', reset.temporaryPassword, reset.expiresAt - 1)).toMatchObject({
      ok: true,
    });
    expect(await login(db, 'nia@example.test', reset.temporaryPassword, reset.expiresAt)).toEqual({
      ok: false,
      reason: 'temporary_password_expired',
    });
  });

  it('gives the admin list each person’s temporary password: none, until when, or expired', async () => {
    const { userId } = await invite();
    await addUser(db, { role: 'supervisor', name: 'Sam Settled', teamIds: ['tm_retail'] });
    const badges = async (now: number) =>
      Object.fromEntries((await listUsers(db, now)).map((user) => [user.name, user.temporaryPassword]));

    expect(await badges(EXPIRES - 1)).toEqual({
      'Ada Admin': null,
      'Nia New': { expiresAt: EXPIRES, expired: false },
      'Sam Settled': null,
    });
    expect(await badges(EXPIRES)).toEqual({
      'Ada Admin': null,
      'Nia New': { expiresAt: EXPIRES, expired: true },
      'Sam Settled': null,
    });
    // The admin issues a new one from the list (the reset action): a fresh 72 hours.
    expect((await resetUserPassword(ctx, { userId }, EXPIRES + HOUR)).ok).toBe(true);
    expect((await badges(EXPIRES + HOUR))['Nia New']).toEqual({ expiresAt: EXPIRES + 73 * HOUR, expired: false });
  });

  it('never touches the seed’s demo accounts', async () => {
    await sqlRun(db, "INSERT INTO teams (id, name, created_at) VALUES ('tm_retail', 'Retail', 0)");
    expect(await ensureDemoUsers(db)).toHaveLength(DEMO_USERS.length);
    expect(
      await count(
        db,
        "SELECT count(*) AS n FROM users WHERE id LIKE 'usr_demo_%' AND must_change_password = FALSE AND temporary_password_expires_at IS NULL",
      ),
    ).toBe(DEMO_USERS.length);
    expect(await login(db, 'agent@paylink.test', DEMO_PASSWORD, Date.now() + 365 * 24 * HOUR)).toMatchObject({
      ok: true,
      mustChangePassword: false,
    });
    expect((await listUsers(db)).filter((user) => user.temporaryPassword !== null)).toEqual([]);
  });
});

// SQLite's migration 0007: PostgreSQL's schema has had the expiry since its first migration.
describe.skipIf(ON_POSTGRES)('migration 0007 for people already on a temporary password', () => {
  /** A database migrated up to 0006: the migrations folder without its newest entry. */
  function databaseBefore0007(): Db {
    const folder = join(TEST_TMP, `migrations-${randomUUID()}`);
    mkdirSync(join(folder, 'meta'), { recursive: true });
    for (const name of readdirSync(MIGRATIONS_FOLDER).filter((file) => file.endsWith('.sql'))) {
      copyFileSync(join(MIGRATIONS_FOLDER, name), join(folder, name));
    }
    const journal = JSON.parse(readFileSync(join(MIGRATIONS_FOLDER, 'meta', '_journal.json'), 'utf8'));
    const index = journal.entries.findIndex((entry: { tag: string }) => entry.tag.startsWith('0007_'));
    journal.entries = journal.entries.slice(0, index);
    writeFileSync(join(folder, 'meta', '_journal.json'), JSON.stringify(journal));
    const db = openDatabase(join(TEST_TMP, `${randomUUID()}.db`));
    migrateDatabase(db, folder);
    return db;
  }

  it('gives each 72 hours from their latest invite or reset in the audit log, else from the migration', async () => {
    const db = databaseBefore0007();
    const insert = db.$client.prepare(
      "INSERT INTO users (id, name, email, role, password_hash, must_change_password, created_at) VALUES (?, ?, ?, 'manager', 'x', ?, 0)",
    );
    insert.run('usr_invited', 'Invited', 'invited@example.test', 1);
    insert.run('usr_reset', 'Reset', 'reset@example.test', 1);
    insert.run('usr_no_trace', 'No trace', 'no-trace@example.test', 1);
    insert.run('usr_settled', 'Settled', 'settled@example.test', 0);
    const audit = db.$client.prepare("INSERT INTO audit_log (at, action, target, details) VALUES (?, ?, ?, '{}')");
    audit.run(ISSUED, 'user_invite', 'usr_invited');
    audit.run(ISSUED, 'user_invite', 'usr_reset');
    audit.run(ISSUED + 10 * HOUR, 'password_reset', 'usr_reset');
    audit.run(ISSUED + 20 * HOUR, 'role_change', 'usr_reset');

    const before = Date.now();
    migrateDatabase(db);
    const after = Date.now();
    const expiry = (id: string) =>
      (
        db.$client.prepare('SELECT temporary_password_expires_at AS at FROM users WHERE id = ?').get(id) as {
          at: number | null;
        }
      ).at;
    expect(expiry('usr_invited')).toBe(EXPIRES);
    expect(expiry('usr_reset')).toBe(EXPIRES + 10 * HOUR);
    expect(expiry('usr_settled')).toBeNull();
    // No trace of when it was issued: a fresh 72 hours from the migration (whole seconds).
    const noTrace = expiry('usr_no_trace')!;
    expect(noTrace).toBeGreaterThanOrEqual(Math.floor(before / 1000) * 1000 + 72 * HOUR);
    expect(noTrace).toBeLessThanOrEqual(after + 72 * HOUR);
    db.$client.close();
  });
});

describe('expired temporary passwords over HTTP', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer({ ORG_TIMEZONE: 'Africa/Johannesburg' });
  });
  afterAll(() => server.stop());

  const post = (path: string, cookie: string, body: Record<string, string>) =>
    fetch(`${server.url}${path}`, {
      method: 'POST',
      redirect: 'manual',
      headers: { cookie, origin: server.url, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(body),
    });

  /** An admin invites someone `issuedAgo` ms before now; returns the admin and the invitation. */
  async function inviteInServer(email: string, issuedAgo: number) {
    const db = openDatabaseUrl(server.dbFile);
    try {
      const admin = await addUser(db, { role: 'admin', name: 'Ada Admin' });
      const invited = await inviteUser(
        { db, actor: { userId: admin.id, name: 'Ada Admin' }, ip: null },
        { name: `Invited ${email}`, email, role: 'manager' },
        Date.now() - issuedAgo,
      );
      if (!invited.ok) throw new Error(JSON.stringify(invited));
      return { admin, ...invited };
    } finally {
      await closeDatabase(db);
    }
  }

  async function setExpiry(userId: string, expiresAt: number) {
    const db = openDatabaseUrl(server.dbFile);
    await sqlRun(db, 'UPDATE users SET temporary_password_expires_at = ? WHERE id = ?', [expiresAt, userId]);
    await closeDatabase(db);
  }

  it('says on the login page that the temporary password expired, and only to whoever typed it', async () => {
    const { temporaryPassword } = await inviteInServer('late@example.test', 72 * HOUR);
    const expired = await signInOverHttp(server.url, 'late@example.test', temporaryPassword);
    expect(expired.response.status).toBe(401);
    expect(expired.setCookie).toBe('');
    const html = await expired.response.text();
    expect(html).toContain(`<p role="alert" class="form-error">${EXPIRED_MESSAGE}</p>`);

    for (const [email, password] of [
      ['late@example.test', 'a wrong password'],
      ['nobody@example.test', temporaryPassword],
    ] as const) {
      const wrong = await signInOverHttp(server.url, email, password);
      expect(wrong.response.status).toBe(401);
      const text = await wrong.response.text();
      expect(text).toContain('Email or password is incorrect.');
      expect(text).not.toContain('expired');
    }
  });

  it('shows a session opened in time that its password expired, with no form, and refuses the change', async () => {
    const { userId, temporaryPassword } = await inviteInServer('slow@example.test', HOUR);
    const { cookie } = await signInOverHttp(server.url, 'slow@example.test', temporaryPassword);
    expect(cookie).toMatch(/^pld_session=/);
    await setExpiry(userId, Date.now() - 1);

    const page = await fetch(`${server.url}/account`, { headers: { cookie } });
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain(`<p class="form-error" role="alert">${EXPIRED_MESSAGE}</p>`);
    expect(html).not.toContain('Change password</button>');
    const change = await post('/account', cookie, {
      currentPassword: temporaryPassword,
      newPassword: NEW_PASSWORD,
      confirmPassword: NEW_PASSWORD,
    });
    expect(change.status).toBe(403);
  });

  it('lists who still has a temporary password in the admin’s zone, and issues a new one from there', async () => {
    const { admin, userId } = await inviteInServer('pending@example.test', HOUR);
    const old = await inviteInServer('old@example.test', 80 * HOUR);
    // 12:00 UTC is 14:00 in Johannesburg.
    await setExpiry(userId, Date.parse('2099-11-25T12:00:00.000Z'));
    await setExpiry(old.userId, Date.parse('2026-11-20T12:00:00.000Z'));
    const { cookie } = await signInOverHttp(server.url, admin.email);

    // Emails carry a <wbr> after their @ (where they may wrap): read them without it. A British
    // reader: the page writes dates in the browser's locale (Accept-Language).
    const usersPage = async () =>
      (
        await (await fetch(`${server.url}/admin/users`, { headers: { cookie, 'accept-language': 'en-GB' } })).text()
      ).replaceAll('<wbr/>', '');
    let html = await usersPage();
    /** The status cell of the person's row: its HTML, and its text. */
    const statusOf = (email: string) => {
      const row = new RegExp(`<tr[^>]*>(?:(?!</tr>).)*${email}(?:(?!</tr>).)*</tr>`).exec(html)?.[0] ?? '';
      const cell = [...row.matchAll(/<td[^>]*>((?:(?!<\/td>).)*)<\/td>/g)][5]?.[1] ?? '';
      return { html: cell, text: textOf(cell) };
    };
    expect(statusOf('pending@example.test').text).toBe(
      'ActiveTemporary passwordExpires 25 Nov, 14:00Issue new password',
    );
    expect(statusOf('pending@example.test').html).toContain(
      '<span class="badge badge-warn">Temporary password</span><span class="expiry hint">Expires<!-- --> <time dateTime="2099-11-25T12:00:00.000Z">25 Nov, 14:00</time></span>',
    );
    expect(statusOf('old@example.test').text).toBe('ActiveTemporary passwordExpired 20 Nov, 14:00Issue new password');
    expect(statusOf('old@example.test').html).toContain(
      '<span class="badge badge-bad">Temporary password</span><span class="expiry bad-text">Expired',
    );
    expect(statusOf(admin.email).text).toBe('Active');
    expect(html).toContain('aria-label="Issue new password for Invited old@example.test"');

    // The button posts the existing reset: a fresh 72 hours from now.
    const before = Date.now();
    const reissued = await post('/admin/users', cookie, { intent: 'reset_password', userId: old.userId });
    const after = Date.now();
    expect(reissued.status).toBe(200);
    const db = openDatabaseUrl(server.dbFile);
    const row = (await queryRow<{ flag: number; at: number }>(
      db,
      'SELECT CAST(must_change_password AS INTEGER) AS flag, temporary_password_expires_at AS at FROM users WHERE id = ?',
      old.userId,
    ))!;
    const audit = await queryRows(
      db,
      "SELECT actor_user_id AS actor FROM audit_log WHERE action = 'password_reset' AND target = ?",
      old.userId,
    );
    await closeDatabase(db);
    expect(row.flag).toBe(1);
    expect(row.at).toBeGreaterThanOrEqual(before + 72 * HOUR);
    expect(row.at).toBeLessThanOrEqual(after + 72 * HOUR);
    expect(audit).toEqual([{ actor: admin.id }]);
    html = await usersPage();
    expect(statusOf('old@example.test').text).toMatch(
      /^ActiveTemporary passwordExpires \d{1,2} [A-Z][a-z]{2}, \d\d:\d\dIssue new password$/,
    );
  });
});
