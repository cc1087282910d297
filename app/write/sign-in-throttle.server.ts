import { and, count, eq, gte, lt, or, sql } from 'drizzle-orm';
import type { Db } from '../../db/client';
import { loginFailures } from '../../db/schema';

export const THROTTLE_WINDOW_MS = 15 * 60 * 1000;
/** Wrong passwords for one account from one address before that address is locked out of that account. */
export const MAX_FAILURES_PER_ACCOUNT_AND_ADDRESS = 5;
/** Wrong passwords from one address, any accounts, before that address is locked out of every account. */
export const MAX_FAILURES_PER_ADDRESS = 20;
/**
 * Wrong passwords for one account from all addresses before its sign-ins are slowed (never locked:
 * a lock here would let anyone lock anyone out). Slowed attempts wait SLOWED_ATTEMPT_MS each, one
 * at a time per account (app/http/sign-in.server.ts).
 */
export const ACCOUNT_SLOWDOWN_AFTER = 50;
export const SLOWED_ATTEMPT_MS = 2000;

const accountKey = (email: string) => `account:${email.toLowerCase()}`;
const pairPrefix = (email: string) => `pair:${email.toLowerCase()}|`;
const pairKey = (email: string, ip: string) => `${pairPrefix(email)}${ip}`;
const addressKey = (ip: string) => `ip:${ip}`;

export type SignInGate =
  | { kind: 'open' }
  | { kind: 'locked'; scope: 'account_and_address' | 'address' }
  | { kind: 'slowed'; waitMs: number };

function failuresSince(db: Db, key: string, since: number): number {
  const row = db
    .select({ n: count() })
    .from(loginFailures)
    .where(and(eq(loginFailures.key, key), gte(loginFailures.at, since)))
    .get();
  return row?.n ?? 0;
}

/**
 * What a sign-in for this account from this address meets: locked when this address failed too
 * often for this account or for any accounts, slowed when the account failed too often from
 * everywhere. An unknown address (null) has no count of its own (one shared key would let anyone
 * lock everyone out): only the account's slow-down applies to it.
 */
export function signInGate(db: Db, email: string, ip: string | null, now = Date.now()): SignInGate {
  const since = now - THROTTLE_WINDOW_MS;
  if (ip !== null) {
    if (failuresSince(db, pairKey(email, ip), since) >= MAX_FAILURES_PER_ACCOUNT_AND_ADDRESS)
      return { kind: 'locked', scope: 'account_and_address' };
    if (failuresSince(db, addressKey(ip), since) >= MAX_FAILURES_PER_ADDRESS)
      return { kind: 'locked', scope: 'address' };
  }
  if (failuresSince(db, accountKey(email), since) >= ACCOUNT_SLOWDOWN_AFTER)
    return { kind: 'slowed', waitMs: SLOWED_ATTEMPT_MS };
  return { kind: 'open' };
}

export function isSignInThrottled(db: Db, email: string, ip: string | null, now = Date.now()): boolean {
  return signInGate(db, email, ip, now).kind === 'locked';
}

export function recordSignInFailure(db: Db, email: string, ip: string | null, now = Date.now()): void {
  const keys = [accountKey(email), ...(ip === null ? [] : [pairKey(email, ip), addressKey(ip)])];
  db.insert(loginFailures)
    .values(keys.map((key) => ({ key, at: now })))
    .run();
  db.delete(loginFailures)
    .where(lt(loginFailures.at, now - THROTTLE_WINDOW_MS))
    .run();
}

/** After a correct password from this address: that address starts over for this account. */
export function clearAddressFailures(db: Db, email: string, ip: string | null): void {
  if (ip === null) return;
  db.delete(loginFailures)
    .where(eq(loginFailures.key, pairKey(email, ip)))
    .run();
}

/** After an admin's reset: every count for the account starts over (its per-address counts included). */
export function clearAccountFailures(db: Db, email: string): void {
  const prefix = pairPrefix(email);
  db.delete(loginFailures)
    .where(
      or(eq(loginFailures.key, accountKey(email)), sql`substr(${loginFailures.key}, 1, ${prefix.length}) = ${prefix}`),
    )
    .run();
}
