import { createHmac, randomBytes } from 'node:crypto';
import { and, eq, gt, ne } from 'drizzle-orm';
import type { Db } from '../../db/client';
import { sessions, users } from '../../db/schema';
import { getEnv } from '../lib/env.server';

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
export const IDLE_TIMEOUT_MS = 60 * 60 * 1000;
export const ABSOLUTE_TIMEOUT_MS = 12 * 60 * 60 * 1000;
const TOUCH_EVERY_MS = 60 * 1000;

/** Only a keyed hash of the cookie's id is stored: a copy of the database alone opens no session. */
function hashSessionId(id: string): string {
  return createHmac('sha256', getEnv().SESSION_SECRET).update(id).digest('hex');
}

export function readCookie(request: Request, name: string): string | null {
  const header = request.headers.get('cookie');
  if (!header) return null;
  for (const part of header.split(';')) {
    const [key, ...rest] = part.trim().split('=');
    if (key === name) return decodeURIComponent(rest.join('='));
  }
  return null;
}

function cookieHeader(value: string, maxAgeSeconds: number, kind: SessionKind = 'app'): string {
  // Browsers accept Secure cookies from http://localhost, so the embed's works in development too.
  if (kind === 'embed') {
    return `${EMBED_SESSION_COOKIE}=${value}; Path=/embed; HttpOnly; Secure; SameSite=None; Partitioned; Max-Age=${maxAgeSeconds}`;
  }
  const secure = getEnv().NODE_ENV === 'production' ? '; Secure' : '';
  return `${SESSION_COOKIE}=${value}; Path=/; HttpOnly; SameSite=Lax; Max-Age=${maxAgeSeconds}${secure}`;
}

function cookieName(kind: SessionKind): string {
  return kind === 'embed' ? EMBED_SESSION_COOKIE : SESSION_COOKIE;
}

export interface RequestMeta {
  ip: string | null;
  userAgent: string | null;
}

/** Stores a new session with a fresh random id; returns the Set-Cookie value that carries it. */
function insertSession(db: Db, userId: string, meta: RequestMeta, now: number, kind: SessionKind = 'app'): string {
  const id = randomBytes(32).toString('base64url');
  db.insert(sessions)
    .values({
      idHash: hashSessionId(id),
      userId,
      createdAt: now,
      lastSeenAt: now,
      expiresAt: now + ABSOLUTE_TIMEOUT_MS,
      ip: meta.ip,
      userAgent: meta.userAgent?.slice(0, 300) ?? null,
    })
    .run();
  return cookieHeader(id, ABSOLUTE_TIMEOUT_MS / 1000, kind);
}

/** Starts a session with a new id (any earlier one from this browser is ended: rotation). Returns the Set-Cookie value. */
export function createSession(
  db: Db,
  userId: string,
  request: Request,
  meta: RequestMeta,
  now = Date.now(),
  kind: SessionKind = 'app',
): string {
  destroySession(db, request, kind);
  const setCookie = insertSession(db, userId, meta, now, kind);
  db.update(users).set({ lastLoginAt: now }).where(eq(users.id, userId)).run();
  return setCookie;
}

/**
 * After a password change: the user's other sessions end (other browsers are signed out) and this
 * browser's session is rotated, so no session id from before the change opens anything. Not a
 * sign-in: the last sign-in time stays. Returns the Set-Cookie value and how many other sessions ended.
 */
export function endOtherSessionsAndRotate(
  db: Db,
  userId: string,
  request: Request,
  meta: RequestMeta,
  now = Date.now(),
): { setCookie: string; otherSessionsEnded: number } {
  const id = readCookie(request, SESSION_COOKIE);
  const current = id ? hashSessionId(id) : '';
  const otherSessionsEnded = db
    .delete(sessions)
    .where(and(eq(sessions.userId, userId), ne(sessions.idHash, current)))
    .run().changes;
  destroySession(db, request);
  return { setCookie: insertSession(db, userId, meta, now), otherSessionsEnded };
}

/** The user id of a live session (idle and absolute timeouts enforced), touching its last-seen time. */
export function getSessionUserId(db: Db, request: Request, now = Date.now(), kind: SessionKind = 'app'): string | null {
  const id = readCookie(request, cookieName(kind));
  if (!id || id.length > 100) return null;
  const idHash = hashSessionId(id);
  const session = db
    .select()
    .from(sessions)
    .where(
      and(eq(sessions.idHash, idHash), gt(sessions.expiresAt, now), gt(sessions.lastSeenAt, now - IDLE_TIMEOUT_MS)),
    )
    .get();
  if (!session) return null;
  if (now - session.lastSeenAt > TOUCH_EVERY_MS) {
    db.update(sessions).set({ lastSeenAt: now }).where(eq(sessions.idHash, idHash)).run();
  }
  return session.userId;
}

/** Ends the browser's session, if any. Returns the Set-Cookie value that clears the cookie. */
export function destroySession(db: Db, request: Request, kind: SessionKind = 'app'): string {
  const id = readCookie(request, cookieName(kind));
  if (id)
    db.delete(sessions)
      .where(eq(sessions.idHash, hashSessionId(id)))
      .run();
  return cookieHeader('', 0, kind);
}
