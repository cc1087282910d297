import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  ABSOLUTE_TIMEOUT_MS,
  createSession,
  getSessionUserId,
  IDLE_TIMEOUT_MS,
  SESSION_COOKIE,
} from '../../app/http/session.server';
import { signIn } from '../../app/http/sign-in.server';
import {
  ACCOUNT_SLOWDOWN_AFTER,
  clearAddressFailures,
  MAX_FAILURES_PER_ACCOUNT_AND_ADDRESS,
  MAX_FAILURES_PER_ADDRESS,
  MAX_SLOWED_WAITING,
  recordSignInFailure,
  reserveSlowedTurn,
  SLOWED_ATTEMPT_MS,
  signInGate,
  THROTTLE_WINDOW_MS,
} from '../../app/write/sign-in-throttle.server';
import { closeDatabase, type Db, openDatabaseUrl, sqlRun } from '../../db/client';
import { closeTestDb, createTestDb, queryRow, queryRows } from '../support/db';
import { startServer, type TestServer } from '../support/server';
import { addUser, addUserAt, signInOverHttp, TEST_PASSWORD } from '../support/users';

const withCookie = (cookie: string) => new Request('http://app.test/', { headers: { cookie } });

describe('sessions (service level)', () => {
  let db: Db;
  beforeEach(async () => {
    db = (await createTestDb()).db;
  });
  afterEach(() => closeTestDb(db));

  it('ends a session after the idle timeout and after the absolute timeout', async () => {
    const { id } = await addUser(db, { role: 'manager' });
    const t0 = Date.parse('2026-11-23T08:00:00Z');
    const cookie = (
      await createSession(db, id, new Request('http://app.test/'), { ip: null, userAgent: null }, t0)
    ).split(';')[0]!;
    expect(await getSessionUserId(db, withCookie(cookie), t0 + IDLE_TIMEOUT_MS - 1000)).toBe(id);
    // Activity above moved lastSeen: still alive one idle period after it, dead one idle period after the last use.
    let at = t0 + IDLE_TIMEOUT_MS - 1000;
    expect(await getSessionUserId(db, withCookie(cookie), at + IDLE_TIMEOUT_MS + 1)).toBeNull();

    const fresh = (
      await createSession(db, id, new Request('http://app.test/'), { ip: null, userAgent: null }, t0)
    ).split(';')[0]!;
    for (at = t0; at < t0 + ABSOLUTE_TIMEOUT_MS - IDLE_TIMEOUT_MS; at += IDLE_TIMEOUT_MS / 2) {
      expect(await getSessionUserId(db, withCookie(fresh), at)).toBe(id);
    }
    expect(await getSessionUserId(db, withCookie(fresh), t0 + ABSOLUTE_TIMEOUT_MS + 1)).toBeNull();
  });

  it('rejects a tampered or unknown cookie', async () => {
    const { id } = await addUser(db, { role: 'manager' });
    const cookie = (await createSession(db, id, new Request('http://app.test/'), { ip: null, userAgent: null })).split(
      ';',
    )[0]!;
    const tampered = `${cookie.slice(0, -2)}${cookie.endsWith('A') ? 'BB' : 'AA'}`;
    expect(await getSessionUserId(db, withCookie(tampered))).toBeNull();
    expect(await getSessionUserId(db, withCookie(`${SESSION_COOKIE}=`))).toBeNull();
    // Not URL-decodable, not base64, not signed: each is no session, never an error.
    for (const garbled of ['%', '%E0%A4%A', '"', 'e30', `${cookie.slice(SESSION_COOKIE.length + 1, -3)}%`]) {
      expect(await getSessionUserId(db, withCookie(`${SESSION_COOKIE}=${garbled}`))).toBeNull();
    }
    // The genuine cookie still opens its session.
    expect(await getSessionUserId(db, withCookie(cookie))).toBe(id);
  });

  it('deletes the sessions past their timeouts when someone signs in', async () => {
    const t0 = Date.parse('2026-11-23T08:00:00Z');
    const request = new Request('http://app.test/');
    const meta = { ip: null, userAgent: null };
    const ended = await addUser(db, { role: 'manager' });
    const idle = await addUser(db, { role: 'manager' });
    const live = await addUser(db, { role: 'manager' });
    const signingIn = await addUser(db, { role: 'manager' });
    const at = t0 + ABSOLUTE_TIMEOUT_MS;
    const cookies: string[] = [];
    for (const user of [ended, idle, live]) {
      cookies.push((await createSession(db, user.id, request, meta, at - 10 * 60_000)).split(';')[0]!);
    }
    const [, idleCookie, liveCookie] = cookies as [string, string, string];
    const move = 'UPDATE sessions SET expires_at = ?, last_seen_at = ? WHERE user_id = ?';
    await sqlRun(db, move, [at - 1, at - 10 * 60_000, ended.id]); // past its absolute end, though used 10 minutes ago
    await sqlRun(db, move, [at + ABSOLUTE_TIMEOUT_MS, at - IDLE_TIMEOUT_MS - 1, idle.id]); // unused for over an hour
    const sessionsOf = async () =>
      ((await queryRows(db, 'SELECT user_id AS "userId" FROM sessions')) as { userId: string }[])
        .map((row) => row.userId)
        .sort();
    expect(await sessionsOf()).toEqual([ended.id, idle.id, live.id].sort());

    const result = await signIn(db, request, signingIn.email, TEST_PASSWORD, null, at);
    expect(result.ok).toBe(true);
    // ended: past its 12 h; idle: last seen more than an hour ago; live: seen a moment ago.
    expect(await sessionsOf()).toEqual([live.id, signingIn.id].sort());
    expect(await getSessionUserId(db, withCookie(idleCookie), at)).toBeNull();
    expect(await getSessionUserId(db, withCookie(liveCookie), at)).toBe(live.id);
  });

  it('rotates the session id at sign-in: the cookie from before no longer works', async () => {
    const { id, email } = await addUser(db, { role: 'manager' });
    const before = (await createSession(db, id, new Request('http://app.test/'), { ip: null, userAgent: null })).split(
      ';',
    )[0]!;
    const result = await signIn(db, withCookie(before), email, TEST_PASSWORD, '10.0.0.1');
    expect(result.ok).toBe(true);
    const after = result.ok ? result.setCookie.split(';')[0]! : '';
    expect(after).not.toBe(before);
    expect(await getSessionUserId(db, withCookie(before))).toBeNull();
    expect(await getSessionUserId(db, withCookie(after))).toBe(id);
  });

  it('locks an address out of one account after 5 failures, and out of all after 20, never the account for others', async () => {
    const { email } = await addUser(db, { role: 'manager' });
    const attempt = async (password: string, ip: string | null, who = email) =>
      await signIn(db, new Request('http://app.test/'), who, password, ip);
    for (let i = 0; i < MAX_FAILURES_PER_ACCOUNT_AND_ADDRESS; i++) {
      expect(await attempt('wrong', '203.0.113.9')).toEqual({ ok: false, reason: 'invalid' });
    }
    // The attacker's address is locked out of this account, even with the right password...
    expect(await attempt(TEST_PASSWORD, '203.0.113.9')).toEqual({ ok: false, reason: 'throttled' });
    // ...and the owner, from anywhere else, is not.
    expect((await attempt(TEST_PASSWORD, '198.51.100.1')).ok).toBe(true);
    expect((await attempt(TEST_PASSWORD, null)).ok).toBe(true);

    const other = await addUser(db, { role: 'agent', agentId: 'ag_1' });
    for (let i = 0; i < MAX_FAILURES_PER_ADDRESS; i++) {
      await attempt('wrong', '192.0.2.7', `nobody${i}@example.test`);
    }
    expect(await attempt(TEST_PASSWORD, '192.0.2.7', other.email)).toEqual({ ok: false, reason: 'throttled' });
    expect((await attempt(TEST_PASSWORD, '192.0.2.8', other.email)).ok).toBe(true);
    const throttled = (
      await queryRows(
        db,
        "SELECT details FROM audit_log WHERE action = 'sign_in_failed' AND details LIKE '%throttled%' ORDER BY seq",
      )
    ).map((row) => JSON.parse((row as { details: string }).details));
    expect(throttled).toEqual([
      { reason: 'throttled', scope: 'account_and_address' },
      { reason: 'throttled', scope: 'address' },
    ]);
  });

  it('counts guesses sent at once: of ten from one address, five are checked and five refused; a right password leaves no count', async () => {
    const { email } = await addUser(db, { role: 'manager' });
    const guess = async (password: string, ip: string) =>
      await signIn(db, new Request('http://app.test/'), email, password, ip);
    const results = await Promise.all(Array.from({ length: 10 }, async () => await guess('wrong', '203.0.113.50')));
    expect(results.filter((result) => !result.ok && result.reason === 'invalid')).toHaveLength(
      MAX_FAILURES_PER_ACCOUNT_AND_ADDRESS,
    );
    expect(results.filter((result) => !result.ok && result.reason === 'throttled')).toHaveLength(
      10 - MAX_FAILURES_PER_ACCOUNT_AND_ADDRESS,
    );
    // Signed in from elsewhere: the counted attempt is taken back (only the five failures stay counted).
    expect((await guess(TEST_PASSWORD, '198.51.100.50')).ok).toBe(true);
    expect(await queryRows(db, "SELECT key FROM login_failures WHERE key LIKE 'ip:%' ORDER BY key, seq")).toEqual(
      Array.from({ length: MAX_FAILURES_PER_ACCOUNT_AND_ADDRESS }, () => ({ key: 'ip:203.0.113.50' })),
    );
  });

  it('counts exactly: the 5th failure from one address locks it, the 4th does not; a success from it starts it over', async () => {
    const email = 'someone@example.test';
    const now = Date.parse('2026-11-23T08:00:00Z');
    for (let i = 0; i < 4; i++) await recordSignInFailure(db, email, '203.0.113.1', now);
    expect(await signInGate(db, email, '203.0.113.1', now)).toEqual({ kind: 'open' });
    await recordSignInFailure(db, email, '203.0.113.1', now);
    expect(await signInGate(db, email, '203.0.113.1', now)).toEqual({ kind: 'locked', scope: 'account_and_address' });
    expect(await signInGate(db, email, '203.0.113.2', now)).toEqual({ kind: 'open' });
    // 15 minutes later the window has passed.
    expect(await signInGate(db, email, '203.0.113.1', now + THROTTLE_WINDOW_MS + 1)).toEqual({ kind: 'open' });
    await clearAddressFailures(db, email, '203.0.113.1');
    expect(await signInGate(db, email, '203.0.113.1', now)).toEqual({ kind: 'open' });
  });

  it('slows, never locks, an account failed from many addresses: 50 failures from 50 addresses', async () => {
    const { email } = await addUser(db, { role: 'manager' });
    const now = Date.now();
    for (let i = 0; i < ACCOUNT_SLOWDOWN_AFTER - 1; i++) await recordSignInFailure(db, email, `10.1.0.${i}`, now);
    expect(await signInGate(db, email, '10.2.0.1', now)).toEqual({ kind: 'open' });
    await recordSignInFailure(db, email, '10.1.1.1', now);
    expect(await signInGate(db, email, '10.2.0.1', now)).toEqual({ kind: 'slowed', waitMs: SLOWED_ATTEMPT_MS });
    expect(await signInGate(db, email, null, now)).toEqual({ kind: 'slowed', waitMs: SLOWED_ATTEMPT_MS });
    // The owner still gets in with the right password, after the wait.
    const started = performance.now();
    const result = await signIn(db, new Request('http://app.test/'), email, TEST_PASSWORD, '10.2.0.1');
    expect(result.ok).toBe(true);
    expect(performance.now() - started).toBeGreaterThanOrEqual(SLOWED_ATTEMPT_MS - 50);
  });

  it('paces a slowed account across instances: turns reserved in the database, one per wait, at most 10 waiting', async () => {
    const { db: one, file } = await createTestDb();
    const other = openDatabaseUrl(file);
    try {
      const W = SLOWED_ATTEMPT_MS;
      const t = 1_800_000_000_000;
      // Two instances (two connections) share the account's turns, in the order they ask.
      expect(await reserveSlowedTurn(one, 'Slow@Example.test', W, t)).toBe(t + W);
      expect(await reserveSlowedTurn(other, 'slow@example.test', W, t)).toBe(t + 2 * W);
      for (let turn = 3; turn <= MAX_SLOWED_WAITING; turn++) {
        expect(await reserveSlowedTurn(turn % 2 ? one : other, 'slow@example.test', W, t)).toBe(t + turn * W);
      }
      expect(await reserveSlowedTurn(other, 'slow@example.test', W, t)).toBe('busy');
      // Another account has its own turns; time passing frees places in the queue.
      expect(await reserveSlowedTurn(one, 'owner@example.test', W, t)).toBe(t + W);
      expect(await reserveSlowedTurn(one, 'slow@example.test', W, t + 3 * W)).toBe(t + 11 * W);
      // Long after the last turn, the next one waits a single turn again (nothing to release).
      expect(await reserveSlowedTurn(other, 'slow@example.test', W, t + 100 * W)).toBe(t + 101 * W);
      expect(await queryRows(one, 'SELECT account, next_at FROM sign_in_slots ORDER BY account')).toEqual([
        { account: 'account:owner@example.test', next_at: t + W },
        { account: 'account:slow@example.test', next_at: t + 101 * W },
      ]);
    } finally {
      await closeDatabase(other);
      await closeTestDb(one);
    }
  });

  it('keeps no per-address count when the address is unknown, so nobody can lock everyone out', async () => {
    for (let i = 0; i < MAX_FAILURES_PER_ADDRESS + 5; i++) {
      await signIn(db, new Request('http://app.test/'), `nobody${i}@example.test`, 'wrong', null);
    }
    const { email } = await addUser(db, { role: 'manager' });
    for (let i = 0; i < MAX_FAILURES_PER_ACCOUNT_AND_ADDRESS + 2; i++) {
      await signIn(db, new Request('http://app.test/'), email, 'wrong', null);
    }
    expect((await signIn(db, new Request('http://app.test/'), email, TEST_PASSWORD, null)).ok).toBe(true);
    expect(await queryRow(db, "SELECT count(*) AS n FROM login_failures WHERE key NOT LIKE 'account:%'")).toEqual({
      n: 0,
    });
  });

  it('refuses deactivated users and audits successes and failures', async () => {
    const active = await addUser(db, { role: 'manager', name: 'Mia' });
    const inactive = await addUser(db, { role: 'manager', active: false });
    expect(await signIn(db, new Request('http://app.test/'), inactive.email, TEST_PASSWORD, '10.0.0.1')).toEqual({
      ok: false,
      reason: 'invalid',
    });
    expect((await signIn(db, new Request('http://app.test/'), active.email, TEST_PASSWORD, '10.0.0.1')).ok).toBe(true);
    const audit = await queryRows(db, 'SELECT action, actor_user_id, actor_name, ip FROM audit_log ORDER BY seq');
    expect(audit).toEqual([
      { action: 'sign_in_failed', actor_user_id: null, actor_name: inactive.email, ip: '10.0.0.1' },
      { action: 'sign_in', actor_user_id: active.id, actor_name: 'Mia', ip: '10.0.0.1' },
    ]);
  });
});

describe('sign-in over HTTP', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer();
  });
  afterAll(() => server.stop());

  it.each([
    ['agent', '/agent'],
    ['supervisor', '/dashboard'],
    ['manager', '/dashboard'],
    ['admin', '/admin'],
  ] as const)('signs a %s in with a secure session cookie and lands on %s', async (role, home) => {
    const user = await addUserAt(server.dbFile, {
      role,
      teamIds: role === 'supervisor' ? ['tm_retail'] : undefined,
      agentId: role === 'agent' ? `ag_${role}` : undefined,
    });
    const { response, setCookie } = await signInOverHttp(server.url, user.email);
    expect(response.status).toBe(302);
    expect(response.headers.get('location')).toBe(home);
    expect(setCookie).toMatch(
      /^pld_session=[A-Za-z0-9+/]{60}\.(?:[A-Za-z0-9]|%2B|%2F){43}; Max-Age=43200; Path=\/; HttpOnly; Secure; SameSite=Lax$/,
    );
  });

  it('answers a wrong password with 401 and a generic message', async () => {
    const user = await addUserAt(server.dbFile, { role: 'manager' });
    const { response } = await signInOverHttp(server.url, user.email, 'nope');
    expect(response.status).toBe(401);
  });

  it('refuses a cross-site sign-in post', async () => {
    const user = await addUserAt(server.dbFile, { role: 'manager' });
    const { response, setCookie } = await signInOverHttp(server.url, user.email, TEST_PASSWORD, {
      origin: 'https://evil.example',
    });
    // Remix's own guard refuses a cross-origin document POST before our Origin check runs.
    expect(response.status).toBeGreaterThanOrEqual(400);
    expect(setCookie).toBe('');
  });

  it('redirects a signed-out page visit to /login and answers the API with 401', async () => {
    const page = await fetch(`${server.url}/?from=2026-11-01`, { redirect: 'manual' });
    expect(page.status).toBe(302);
    expect(page.headers.get('location')).toBe('/login?redirectTo=%2F%3Ffrom%3D2026-11-01');
    expect((await fetch(`${server.url}/api/v1/payment-requests/pr_1`)).status).toBe(401);
  });

  it.each(['%', '%E0%A4%A', 'e30', '"unterminated'])(
    'treats the cookie pld_session=%s as no session: pages redirect to /login, the API answers 401',
    async (value) => {
      const headers = { cookie: `pld_session=${value}` };
      for (const path of ['/', '/dashboard', '/requests', '/admin', '/account']) {
        const page = await fetch(`${server.url}${path}`, { redirect: 'manual', headers });
        expect([path, page.status]).toEqual([path, 302]);
        expect(page.headers.get('location')).toBe(`/login?redirectTo=${encodeURIComponent(path)}`);
      }
      for (const path of ['/api/v1/payment-requests', '/api/v1/metrics/summary', '/exports/agents.csv']) {
        const api = await fetch(`${server.url}${path}`, { headers });
        expect([path, api.status]).toEqual([path, 401]);
        expect(await api.json()).toEqual({
          error: { code: 'unauthorized', message: 'Sign in or send a valid bearer token' },
        });
      }
    },
  );

  it('uses the session cookie for API routes and ends it at sign-out', async () => {
    const user = await addUserAt(server.dbFile, { role: 'manager' });
    const { cookie } = await signInOverHttp(server.url, user.email);
    const api = await fetch(`${server.url}/api/v1/payment-requests/pr_missing`, { headers: { cookie } });
    expect(api.status).toBe(404);
    const logout = await fetch(`${server.url}/logout`, {
      method: 'POST',
      redirect: 'manual',
      headers: { cookie, origin: server.url },
    });
    expect(logout.status).toBe(302);
    expect(logout.headers.get('set-cookie')).toMatch(
      /^pld_session=; Path=\/; Expires=Thu, 01 Jan 1970 00:00:00 GMT; HttpOnly; Secure; SameSite=Lax$/,
    );
    expect((await fetch(`${server.url}/api/v1/payment-requests/pr_missing`, { headers: { cookie } })).status).toBe(401);
    const reader = openDatabaseUrl(server.dbFile);
    const actions = await queryRows(
      reader,
      'SELECT action FROM audit_log WHERE actor_user_id = ? ORDER BY seq',
      user.id,
    );
    await closeDatabase(reader);
    expect(actions).toEqual([{ action: 'sign_in' }, { action: 'sign_out' }]);
  });
});
