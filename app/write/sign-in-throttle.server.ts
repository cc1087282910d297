import { and, count, eq, gte, inArray, lt, or, sql } from 'drizzle-orm';
import { type Db, first, writeTransaction } from '../../db/client';
import { loginFailures, signInSlots } from '../../db/tables';
import { maskCardNumbers } from '../domain/card-masking';
import { lockKeyForTransaction } from './request-lock.server';

export const THROTTLE_WINDOW_MS = 15 * 60 * 1000;
/** Wrong passwords for one account from one address before that address is locked out of that account. */
export const MAX_FAILURES_PER_ACCOUNT_AND_ADDRESS = 5;
/** Wrong passwords from one address, any accounts, before that address is locked out of every account. */
export const MAX_FAILURES_PER_ADDRESS = 20;
/**
 * Wrong passwords for one account from all addresses before its sign-ins are slowed (never locked:
 * a lock here would let anyone lock anyone out). Slowed attempts start SLOWED_ATTEMPT_MS apart per
 * account, across every instance (reserveSlowedTurn).
 */
export const ACCOUNT_SLOWDOWN_AFTER = 50;
export const SLOWED_ATTEMPT_MS = 2000;
/** Slowed attempts of one account waiting their turn before more are refused as busy. */
export const MAX_SLOWED_WAITING = 10;

// The email as typed, which may be anything (a card number among it is masked: these keys are stored).
const typed = (email: string) => maskCardNumbers(email.toLowerCase());
const accountKey = (email: string) => `account:${typed(email)}`;
const pairPrefix = (email: string) => `pair:${typed(email)}|`;
const pairKey = (email: string, ip: string) => `${pairPrefix(email)}${ip}`;
const addressKey = (ip: string) => `ip:${ip}`;

export type SignInGate =
  | { kind: 'open' }
  | { kind: 'locked'; scope: 'account_and_address' | 'address' }
  | { kind: 'slowed'; waitMs: number };

async function failuresSince(db: Db, key: string, since: number): Promise<number> {
  const row = first(
    await db
      .select({ n: count() })
      .from(loginFailures)
      .where(and(eq(loginFailures.key, key), gte(loginFailures.at, since)))
      .limit(1),
  );
  return row?.n ?? 0;
}

/**
 * What a sign-in for this account from this address meets: locked when this address failed too
 * often for this account or for any accounts, slowed when the account failed too often from
 * everywhere. An unknown address (null) has no count of its own (one shared key would let anyone
 * lock everyone out): only the account's slow-down applies to it.
 */
export async function signInGate(db: Db, email: string, ip: string | null, now = Date.now()): Promise<SignInGate> {
  const since = now - THROTTLE_WINDOW_MS;
  if (ip !== null) {
    if ((await failuresSince(db, pairKey(email, ip), since)) >= MAX_FAILURES_PER_ACCOUNT_AND_ADDRESS)
      return { kind: 'locked', scope: 'account_and_address' };
    if ((await failuresSince(db, addressKey(ip), since)) >= MAX_FAILURES_PER_ADDRESS)
      return { kind: 'locked', scope: 'address' };
  }
  if ((await failuresSince(db, accountKey(email), since)) >= ACCOUNT_SLOWDOWN_AFTER)
    return { kind: 'slowed', waitMs: SLOWED_ATTEMPT_MS };
  return { kind: 'open' };
}

export async function isSignInThrottled(db: Db, email: string, ip: string | null, now = Date.now()): Promise<boolean> {
  return (await signInGate(db, email, ip, now)).kind === 'locked';
}

/** A password check under way: its gate and, unless locked, the failure rows that count it already. */
export interface PasswordAttempt {
  gate: SignInGate;
  counted: number[];
  /** Locked: whether this is the first refusal of the locked key in the window (only that one is audited). */
  firstRefusal?: boolean;
}

/**
 * Whether this refusal is the first for `key` in the throttle window, marking it so when it is (a row
 * of login_failures under `audited:`, deleted with the window as the counts are). Refusals that check
 * no password (locked, busy) are audited once a window each: audited every time, one client sending
 * sign-ins from a locked address added an audit_log row per request, for ever. Inside a write transaction.
 */
async function firstRefusalInWindow(db: Db, key: string, now: number): Promise<boolean> {
  const marker = `audited:${key}`;
  if ((await failuresSince(db, marker, now - THROTTLE_WINDOW_MS)) > 0) return false;
  await db.insert(loginFailures).values({ key: marker, at: now });
  return true;
}

/** Whether a "busy" refusal of this sign-in (per address, else per account) is the first in the window. */
export async function firstBusyRefusal(db: Db, email: string, ip: string | null, now = Date.now()): Promise<boolean> {
  const key = `busy:${ip === null ? accountKey(email) : addressKey(ip)}`;
  return await writeTransaction(db, async () => {
    await lockKeyForTransaction(db, key);
    return await firstRefusalInWindow(db, key, now);
  });
}

/**
 * The gate for a password check and, when it may go ahead, the check counted as a failure at once,
 * in one write transaction: checks made side by side count each other. (Gated first and counted
 * after the password's hash, ten wrong guesses sent at once all passed a limit of five.) The count
 * is taken back (forgetPasswordAttempt) when the password proves right or could not be checked.
 * SQLite runs one write transaction at a time; PostgreSQL runs them side by side, so there the
 * account's and the address's advisory locks (held to the commit) put attempts for them in line.
 */
export async function beginPasswordAttempt(
  db: Db,
  email: string,
  ip: string | null,
  now = Date.now(),
): Promise<PasswordAttempt> {
  return await writeTransaction(db, async () => {
    // In one order (sorted), so two attempts never wait for each other's second lock.
    const keys = [accountKey(email), ...(ip === null ? [] : [addressKey(ip)])].sort();
    for (const key of keys) await lockKeyForTransaction(db, key);
    const gate = await signInGate(db, email, ip, now);
    if (gate.kind === 'locked') {
      const locked = gate.scope === 'address' ? addressKey(ip!) : pairKey(email, ip!);
      return { gate, counted: [], firstRefusal: await firstRefusalInWindow(db, locked, now) };
    }
    return { gate, counted: await recordSignInFailure(db, email, ip, now) };
  });
}

/** Counts a failed password for the account, the pair and the address; answers the rows' seqs. */
export async function recordSignInFailure(
  db: Db,
  email: string,
  ip: string | null,
  now = Date.now(),
): Promise<number[]> {
  const keys = [accountKey(email), ...(ip === null ? [] : [pairKey(email, ip), addressKey(ip)])];
  return await writeTransaction(db, async () => {
    const counted = await db
      .insert(loginFailures)
      .values(keys.map((key) => ({ key, at: now })))
      .returning({ seq: loginFailures.seq });
    await db.delete(loginFailures).where(lt(loginFailures.at, now - THROTTLE_WINDOW_MS));
    return counted.map((row) => row.seq);
  });
}

/** Takes back an attempt's count: the password was right, or it could not be checked (busy). */
export async function forgetPasswordAttempt(db: Db, attempt: PasswordAttempt): Promise<void> {
  if (attempt.counted.length === 0) return;
  await writeTransaction(
    db,
    async () => await db.delete(loginFailures).where(inArray(loginFailures.seq, attempt.counted)),
  );
}

/** After a correct password from this address: that address starts over for this account. */
export async function clearAddressFailures(db: Db, email: string, ip: string | null): Promise<void> {
  if (ip === null) return;
  await writeTransaction(
    db,
    async () => await db.delete(loginFailures).where(eq(loginFailures.key, pairKey(email, ip))),
  );
}

/** After an admin's reset: every count for the account starts over (its per-address counts included). */
export async function clearAccountFailures(db: Db, email: string): Promise<void> {
  const prefix = pairPrefix(email);
  await writeTransaction(
    db,
    async () =>
      await db
        .delete(loginFailures)
        .where(
          or(
            eq(loginFailures.key, accountKey(email)),
            sql`substr(${loginFailures.key}, 1, ${prefix.length}) = ${prefix}`,
          ),
        ),
  );
}

/**
 * Reserves a slowed account's next turn: the instant (epoch ms) this attempt may start, waitMs after
 * the turn reserved before it (or after now), or 'busy' when MAX_SLOWED_WAITING turns are already
 * waiting. Kept in `sign_in_slots`, so every app instance paces the same account together: an
 * attacker spread over many addresses and instances gets one guess per waitMs. A reserved turn needs
 * no release: the queue is the time between now and the last reserved turn, so an instance that
 * dies leaves nothing stuck.
 */
export async function reserveSlowedTurn(
  db: Db,
  email: string,
  waitMs: number,
  now = Date.now(),
): Promise<number | 'busy'> {
  const account = accountKey(email);
  return await writeTransaction(db, async () => {
    const row = first(
      await db
        .select({ nextAt: signInSlots.nextAt })
        .from(signInSlots)
        .where(eq(signInSlots.account, account))
        .limit(1),
    );
    const after = Math.max(now, row?.nextAt ?? now);
    if (after - now >= MAX_SLOWED_WAITING * waitMs) return 'busy';
    const startAt = after + waitMs;
    await db
      .insert(signInSlots)
      .values({ account, nextAt: startAt })
      .onConflictDoUpdate({ target: signInSlots.account, set: { nextAt: startAt } });
    return startAt;
  });
}
