import { redirect } from '@remix-run/node';
import { getDb } from '../../db/client';
import type { Role, Viewer } from '../domain/access';
import { ACCOUNT_PATH } from '../domain/navigation';
import { getEnv } from '../lib/env.server';
import { apiError, CLIENT_ADDRESS_HEADER } from '../lib/http.server';
import { loadAccount, viewerForToken } from '../write/api-tokens.server';
import { getSessionUserId, type SessionKind } from './session.server';

/** API-style routes (the pickers' JSON search too) answer JSON errors; pages redirect to the sign-in page. */
function isApiPath(pathname: string): boolean {
  return pathname.startsWith('/api/') || pathname.startsWith('/exports/') || pathname.startsWith('/filters/');
}

export type AuthMethod = 'token' | 'session';

export interface SignedIn {
  viewer: Viewer;
  method: AuthMethod;
  /** A session of someone still on an admin's temporary password (never true for bearer tokens). */
  mustChangePassword: boolean;
}

/** The caller by bearer token or session cookie, or null; `touch: false` reads a session without counting it as activity. */
export async function getViewer(
  request: Request,
  sessionKind: SessionKind = 'app',
  { touch = true }: { touch?: boolean } = {},
): Promise<SignedIn | null> {
  const db = getDb();
  const header = request.headers.get('authorization');
  if (header) {
    const match = /^Bearer\s+(\S+)$/i.exec(header);
    const viewer = match?.[1] ? await viewerForToken(db, match[1]) : null;
    return viewer ? { viewer, method: 'token', mustChangePassword: false } : null;
  }
  const userId = await getSessionUserId(db, request, Date.now(), sessionKind, touch);
  const account = userId ? await loadAccount(db, userId) : null;
  return account ? { ...account, method: 'session' } : null;
}

async function authenticate(
  request: Request,
  roles: readonly Role[] | undefined,
  allowPendingPasswordChange: boolean,
): Promise<SignedIn> {
  const url = new URL(request.url);
  const found = await getViewer(request);
  if (!found) {
    if (isApiPath(url.pathname)) throw apiError(401, 'unauthorized', 'Sign in or send a valid bearer token');
    throw redirect(`/login?redirectTo=${encodeURIComponent(url.pathname + url.search)}`);
  }
  if (found.method === 'session' && request.method !== 'GET' && request.method !== 'HEAD') assertSameOrigin(request);
  if (found.mustChangePassword && !allowPendingPasswordChange) {
    if (isApiPath(url.pathname)) {
      throw apiError(403, 'password_change_required', `Change your temporary password at ${ACCOUNT_PATH} first`);
    }
    throw redirect(ACCOUNT_PATH);
  }
  if (roles && !roles.includes(found.viewer.role)) {
    if (isApiPath(url.pathname)) throw apiError(403, 'forbidden', 'Your role may not do this');
    throw new Response('Your role may not open this page.', { status: 403, statusText: 'Forbidden' });
  }
  return found;
}

/**
 * The signed-in caller (bearer token or session cookie), else 401 JSON for API routes and a
 * redirect to /login for pages. With `roles`, other roles get 403. Every loader and action
 * calls this itself (SPEC §5); scope checks on resources come after (canSee → 404). A session
 * still on a temporary password gets only the change-password page: pages redirect there, API
 * routes answer 403 `password_change_required`.
 */
export async function requireViewer(request: Request, roles?: readonly Role[]): Promise<Viewer> {
  return (await authenticate(request, roles, false)).viewer;
}

/**
 * As requireViewer, but a pending password change is let through: only for the signed-in layout
 * (whose children check for themselves) and the change-password page itself.
 */
export async function requireSignedIn(request: Request): Promise<SignedIn> {
  return await authenticate(request, undefined, true);
}

export type EmbedAccess =
  | { kind: 'signed_in'; viewer: Viewer }
  | { kind: 'signed_out' }
  | { kind: 'must_change_password' }
  | { kind: 'not_an_agent'; role: Viewer['role'] };

/**
 * The embedded agent panel's caller, by its own session cookie (never the app's: in a third-party
 * frame that one is not sent). The panel shows its own sign-in instead of redirecting, since a
 * redirect would leave the host's frame. Mutations must come from the panel itself (same origin).
 */
export async function getEmbedAccess(request: Request): Promise<EmbedAccess> {
  const found = await getViewer(request, 'embed');
  if (!found) return { kind: 'signed_out' };
  if (request.method !== 'GET' && request.method !== 'HEAD') assertSameOrigin(request);
  if (found.mustChangePassword) return { kind: 'must_change_password' };
  if (found.viewer.role !== 'agent') return { kind: 'not_an_agent', role: found.viewer.role };
  return { kind: 'signed_in', viewer: found.viewer };
}

/**
 * The caller of a long-lived response as they are now, for a live stream to check again while it
 * runs: their current scope, or null once they are signed out, their session has timed out, their
 * token is revoked, they are deactivated or on a temporary password, or (the agent panel's
 * stream) no longer an agent. Reads the session without touching it: an open stream is not activity.
 */
export async function currentViewer(request: Request, sessionKind: SessionKind = 'app'): Promise<Viewer | null> {
  const found = await getViewer(request, sessionKind, { touch: false });
  if (!found || found.mustChangePassword) return null;
  if (sessionKind === 'embed' && found.viewer.role !== 'agent') return null;
  return found.viewer;
}

/** Kept for API routes that only take tokens or sessions alike: same as requireViewer. */
export const requireApiViewer = requireViewer;

/** Cookie-authenticated mutations must come from our own pages (CSRF defence besides SameSite=Lax). */
export function assertSameOrigin(request: Request): void {
  const expected = new URL(request.url).origin;
  const origin = originOf(request.headers.get('origin') ?? request.headers.get('referer'));
  const host = request.headers.get('host');
  const matches = origin !== null && (origin.origin === expected || (host !== null && origin.host === host));
  if (!matches) throw apiError(403, 'bad_origin', 'Cross-site request refused');
}

/** `Origin: null` (sandboxed frames, some redirects) and malformed values are no origin at all. */
function originOf(value: string | null): URL | null {
  if (!value || value === 'null') return null;
  try {
    return new URL(value);
  } catch {
    return null;
  }
}

/**
 * The caller's address for audits and the per-address sign-in limit: with TRUSTED_PROXY_HOPS
 * proxies in front, the entry they appended to X-Forwarded-For; without, the socket's address.
 */
export function clientIp(request: Request): string | null {
  const hops = getEnv().TRUSTED_PROXY_HOPS;
  if (hops > 0) return forwardedClientAddress(request.headers.get('x-forwarded-for'), hops);
  return request.headers.get(CLIENT_ADDRESS_HEADER) || null;
}

/**
 * The client's address as the trusted proxies saw it: each appends the address it was called
 * from, so with N proxies it is the N-th entry from the right. Entries further left were sent by
 * the client and prove nothing.
 */
export function forwardedClientAddress(header: string | null, trustedHops: number): string | null {
  if (trustedHops === 0 || !header) return null;
  const entries = header
    .split(',')
    .map((entry) => entry.trim())
    .filter(Boolean);
  return entries[entries.length - trustedHops] ?? null;
}

export { HOME_BY_ROLE } from '../domain/navigation';
