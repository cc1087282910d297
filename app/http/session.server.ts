import { createHmac, randomBytes } from 'node:crypto';
import { type Cookie, createCookie, createSessionStorage, type SessionStorage } from '@remix-run/node';
import { and, eq, gt, ne } from 'drizzle-orm';
import { changesOf, type Db, first, writeTransaction } from '../../db/client';
import { sessions, users } from '../../db/tables';
import { maskCardNumbers } from '../domain/card-masking';
import { getEnv } from '../lib/env.server';
import { ABSOLUTE_TIMEOUT_MS, IDLE_TIMEOUT_MS, purgeExpiredSessions } from '../write/sessions.server';

export { ABSOLUTE_TIMEOUT_MS, IDLE_TIMEOUT_MS };
export const SESSION_COOKIE = 'pld_session';
/**
 * The embedded agent panel's own session (README "The agent panel in a chat desk"). Inside a chat
 * desk's frame the page is third-party, so a SameSite=Lax cookie is never sent: this one is
 * SameSite=None; Secure, and Partitioned (CHIPS) so browsers that block third-party cookies keep it,
 * per host site. It is scoped to /embed: it opens nothing else, and the app's own session is not
 * exposed to cross-site requests.
 */
export const EMBED_SESSION_COOKIE = 'pld_embed_session';
export type SessionKind = 'app' | 'embed';
const TOUCH_EVERY_MS = 60 * 1000;

export interface RequestMeta {
  ip: string | null;
  userAgent: string | null;
}

interface SessionData {
  userId: string;
}

const cookies: Partial<Record<SessionKind, Cookie>> = {};

/**
 * The session cookie: a signed random id, HttpOnly, 12 h at most; the app's is SameSite=Lax and
 * Secure in production, the embed's SameSite=None; Secure; Partitioned on /embed (browsers accept
 * Secure cookies from http://localhost, so it works in development too).
 */
function sessionCookie(kind: SessionKind = 'app'): Cookie {
  const env = getEnv();
  cookies[kind] ??=
    kind === 'embed'
      ? createCookie(EMBED_SESSION_COOKIE, {
          path: '/embed',
          httpOnly: true,
          sameSite: 'none',
          secure: true,
          partitioned: true,
          maxAge: ABSOLUTE_TIMEOUT_MS / 1000,
          secrets: [env.SESSION_SECRET],
        })
      : createCookie(SESSION_COOKIE, {
          path: '/',
          httpOnly: true,
          sameSite: 'lax',
          secure: env.NODE_ENV === 'production',
          maxAge: ABSOLUTE_TIMEOUT_MS / 1000,
          secrets: [env.SESSION_SECRET],
        });
  return cookies[kind];
}

/** Only a keyed hash of the cookie's id is stored: a copy of the database alone opens no session. */
function hashSessionId(id: string): string {
  return createHmac('sha256', getEnv().SESSION_SECRET).update(id).digest('hex');
}

/** A cookie value that is not an id this server signed (tampered, garbled, another shape) is no session. */
function asSessionId(value: unknown): string | null {
  return typeof value === 'string' && value.length > 0 && value.length <= 100 ? value : null;
}

/**
 * Remix's session storage over the `sessions` table, for one request at `now`: the cookie carries a
 * random id, the table its keyed hash; reading enforces the idle and absolute timeouts and, unless
 * `touch` is false, counts as activity (last seen, at most once a minute).
 */
function sessionStorage(
  db: Db,
  now: number,
  meta: RequestMeta = { ip: null, userAgent: null },
  kind: SessionKind = 'app',
  touch = true,
): SessionStorage<SessionData> {
  return createSessionStorage<SessionData>({
    cookie: sessionCookie(kind),
    async createData(data) {
      const id = randomBytes(32).toString('base64url');
      await writeTransaction(
        db,
        async () =>
          await db.insert(sessions).values({
            idHash: hashSessionId(id),
            userId: data.userId!,
            createdAt: now,
            lastSeenAt: now,
            expiresAt: now + ABSOLUTE_TIMEOUT_MS,
            ip: meta.ip,
            // A header is whatever the client sends: a card number in it is masked like any typed text.
            userAgent: meta.userAgent == null ? null : maskCardNumbers(meta.userAgent.slice(0, 300)),
          }),
      );
      return Promise.resolve(id);
    },
    async readData(value) {
      const id = asSessionId(value);
      if (!id) return Promise.resolve(null);
      const idHash = hashSessionId(id);
      const session = first(
        await db
          .select()
          .from(sessions)
          .where(
            and(
              eq(sessions.idHash, idHash),
              gt(sessions.expiresAt, now),
              gt(sessions.lastSeenAt, now - IDLE_TIMEOUT_MS),
            ),
          )
          .limit(1),
      );
      if (!session) return Promise.resolve(null);
      if (touch && now - session.lastSeenAt > TOUCH_EVERY_MS) {
        await writeTransaction(
          db,
          async () => await db.update(sessions).set({ lastSeenAt: now }).where(eq(sessions.idHash, idHash)),
        );
      }
      return Promise.resolve({ userId: session.userId });
    },
    async updateData(value) {
      const id = asSessionId(value);
      if (id)
        await writeTransaction(
          db,
          async () =>
            await db
              .update(sessions)
              .set({ lastSeenAt: now })
              .where(eq(sessions.idHash, hashSessionId(id))),
        );
      return Promise.resolve();
    },
    async deleteData(value) {
      const id = asSessionId(value);
      if (id)
        await writeTransaction(db, async () => await db.delete(sessions).where(eq(sessions.idHash, hashSessionId(id))));
      return Promise.resolve();
    },
  });
}

/** The session id the request's cookie carries, if it is one this server signed. */
export async function currentSessionId(request: Request): Promise<string | null> {
  return asSessionId(await sessionCookie().parse(request.headers.get('cookie')));
}

/** A new session for the user; returns the Set-Cookie value that carries it. */
async function startSession(
  db: Db,
  userId: string,
  meta: RequestMeta,
  now: number,
  kind: SessionKind = 'app',
): Promise<string> {
  const storage = sessionStorage(db, now, meta, kind);
  const session = await storage.getSession();
  session.set('userId', userId);
  return storage.commitSession(session);
}

/**
 * Signs in: any earlier session of this browser ends (rotation), sessions past their timeouts are
 * deleted, and a session with a new id starts. Returns the Set-Cookie value.
 */
export async function createSession(
  db: Db,
  userId: string,
  request: Request,
  meta: RequestMeta,
  now = Date.now(),
  kind: SessionKind = 'app',
): Promise<string> {
  await destroySession(db, request, now, kind);
  await purgeExpiredSessions(db, now);
  const setCookie = await startSession(db, userId, meta, now, kind);
  await writeTransaction(db, async () => await db.update(users).set({ lastLoginAt: now }).where(eq(users.id, userId)));
  return setCookie;
}

/** After a password change: the user's sessions other than this browser's end. Returns how many. */
export async function endOtherSessions(db: Db, userId: string, currentId: string | null): Promise<number> {
  const current = currentId ? hashSessionId(currentId) : '';
  return await writeTransaction(db, async () =>
    changesOf(await db.delete(sessions).where(and(eq(sessions.userId, userId), ne(sessions.idHash, current)))),
  );
}

/** This browser's session is replaced by one with a new id (not a sign-in: the last sign-in time stays). */
export async function rotateSession(
  db: Db,
  userId: string,
  request: Request,
  meta: RequestMeta,
  now = Date.now(),
): Promise<string> {
  await destroySession(db, request, now);
  return startSession(db, userId, meta, now);
}

/**
 * The user id of a live session (idle and absolute timeouts enforced), touching its last-seen time
 * unless `touch` is false (a stream checking its caller again is not the person's activity).
 */
export async function getSessionUserId(
  db: Db,
  request: Request,
  now = Date.now(),
  kind: SessionKind = 'app',
  touch = true,
): Promise<string | null> {
  const session = await sessionStorage(db, now, undefined, kind, touch).getSession(request.headers.get('cookie'));
  return session.get('userId') ?? null;
}

/** Ends the browser's session, if any. Returns the Set-Cookie value that clears the cookie. */
export async function destroySession(
  db: Db,
  request: Request,
  now = Date.now(),
  kind: SessionKind = 'app',
): Promise<string> {
  const storage = sessionStorage(db, now, undefined, kind);
  return storage.destroySession(await storage.getSession(request.headers.get('cookie')));
}
