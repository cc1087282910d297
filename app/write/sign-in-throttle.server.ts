import { and, count, eq, gte, lt } from 'drizzle-orm';
import type { Db } from '../../db/client';
import { loginFailures } from '../../db/schema';

export const THROTTLE_WINDOW_MS = 15 * 60 * 1000;
export const MAX_FAILURES_PER_ACCOUNT = 5;
export const MAX_FAILURES_PER_ADDRESS = 20;

const accountKey = (email: string) => `account:${email.toLowerCase()}`;
const addressKey = (ip: string) => `ip:${ip}`;

function failuresSince(db: Db, key: string, since: number): number {
  const row = db
    .select({ n: count() })
    .from(loginFailures)
    .where(and(eq(loginFailures.key, key), gte(loginFailures.at, since)))
    .get();
  return row?.n ?? 0;
}

/**
 * Whether a sign-in for this account from this address must wait (per-account and per-address
 * limits). An unknown address (null) has no limit of its own: one shared key would let anyone
 * lock everyone out.
 */
export function isSignInThrottled(db: Db, email: string, ip: string | null, now = Date.now()): boolean {
  const since = now - THROTTLE_WINDOW_MS;
  return (
    failuresSince(db, accountKey(email), since) >= MAX_FAILURES_PER_ACCOUNT ||
    (ip !== null && failuresSince(db, addressKey(ip), since) >= MAX_FAILURES_PER_ADDRESS)
  );
}

export function recordSignInFailure(db: Db, email: string, ip: string | null, now = Date.now()): void {
  db.insert(loginFailures)
    .values([{ key: accountKey(email), at: now }, ...(ip === null ? [] : [{ key: addressKey(ip), at: now }])])
    .run();
  db.delete(loginFailures)
    .where(lt(loginFailures.at, now - THROTTLE_WINDOW_MS))
    .run();
}

export function clearAccountFailures(db: Db, email: string): void {
  db.delete(loginFailures)
    .where(eq(loginFailures.key, accountKey(email)))
    .run();
}
