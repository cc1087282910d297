import { setTimeout as sleep } from 'node:timers/promises';
import { eq } from 'drizzle-orm';
import { z } from 'zod';
import { type Db, first } from '../../db/client';
import { users } from '../../db/tables';
import type { Role } from '../domain/access';
import {
  dummyPasswordHash,
  isTemporaryPasswordExpired,
  PasswordHashBusyError,
  verifyPassword,
} from '../lib/password.server';
import { recordAudit } from '../write/audit.server';
import {
  beginPasswordAttempt,
  clearAddressFailures,
  firstBusyRefusal,
  forgetPasswordAttempt,
  type PasswordAttempt,
  reserveSlowedTurn,
} from '../write/sign-in-throttle.server';
import { createSession, type SessionKind } from './session.server';

/**
 * The email a sign-in form takes: at most 254 characters (RFC 5321's longest address, as an admin's
 * invite allows). What is typed is stored (the throttle's keys, a failed sign-in's audit row): the
 * 64 KB a form may carry made every refused sign-in store it three times and audit it once.
 */
export const signInEmail = z
  .string()
  .trim()
  .max(254, 'Enter an email address of at most 254 characters')
  .email('Enter your email address');

/**
 * A sign-in form's fields (the app's page and the embedded panel's). A plain object, spread into each
 * route's own z.object: a route module's top level also runs in the browser, where this server
 * module's exports are absent.
 */
export const signInFields = {
  email: signInEmail,
  password: z.string().min(1, 'Enter your password'),
};

export type SignInFailure = 'invalid' | 'throttled' | 'busy' | 'temporary_password_expired';

export type SignInResult =
  | { ok: true; setCookie: string; role: Role; mustChangePassword: boolean }
  | { ok: false; reason: SignInFailure };

// Slowed accounts take turns SLOWED_ATTEMPT_MS apart, reserved in the database (every instance
// shares them): an attacker spread over many addresses gets one guess per turn, and the owner still
// gets in with the right password.
async function afterSlowedTurn<T>(
  db: Db,
  account: string,
  waitMs: number,
  work: () => Promise<T>,
): Promise<T | 'busy'> {
  const startAt = await reserveSlowedTurn(db, account, waitMs);
  if (startAt === 'busy') return 'busy';
  await sleep(Math.max(0, startAt - Date.now()));
  return work();
}

/**
 * Checks the password (constant work whether or not the account exists, hashed off the event loop),
 * throttles per account and address, audits, rotates the session. An admin's temporary password
 * past its 72 hours is refused; only someone who typed it correctly learns that it expired, so this
 * tells nothing about which emails have accounts.
 */
export async function signIn(
  db: Db,
  request: Request,
  email: string,
  password: string,
  ip: string | null,
  now = Date.now(),
  kind: SessionKind = 'app',
): Promise<SignInResult> {
  const normalized = email.trim().toLowerCase();
  const counted = await beginPasswordAttempt(db, normalized, ip, now);
  const { gate } = counted;
  if (gate.kind === 'locked') {
    if (counted.firstRefusal)
      await recordAudit(
        db,
        { action: 'sign_in_failed', actorName: normalized, details: { reason: 'throttled', scope: gate.scope }, ip },
        now,
      );
    return { ok: false, reason: 'throttled' };
  }
  const attempt = async () => await checkPassword(db, request, normalized, password, ip, now, kind, counted);
  try {
    const result =
      gate.kind === 'slowed' ? await afterSlowedTurn(db, normalized, gate.waitMs, attempt) : await attempt();
    if (result !== 'busy') return result;
  } catch (error) {
    if (!(error instanceof PasswordHashBusyError)) throw error;
  }
  await forgetPasswordAttempt(db, counted); // not checked: no failure
  if (await firstBusyRefusal(db, normalized, ip, now))
    await recordAudit(db, { action: 'sign_in_failed', actorName: normalized, details: { reason: 'busy' }, ip }, now);
  return { ok: false, reason: 'busy' };
}

async function checkPassword(
  db: Db,
  request: Request,
  normalized: string,
  password: string,
  ip: string | null,
  now: number,
  kind: SessionKind,
  counted: PasswordAttempt,
): Promise<SignInResult> {
  const user = first(await db.select().from(users).where(eq(users.email, normalized)).limit(1));
  const usable = user?.active && user.passwordHash && !user.isService;
  const passwordOk = await verifyPassword(password, usable ? user.passwordHash! : await dummyPasswordHash());
  if (!usable || !passwordOk) {
    // Counted already (beginPasswordAttempt).
    await recordAudit(db, { action: 'sign_in_failed', actorName: normalized, details: { reason: 'invalid' }, ip }, now);
    return { ok: false, reason: 'invalid' };
  }
  await forgetPasswordAttempt(db, counted);
  if (isTemporaryPasswordExpired(user, now)) {
    // Not counted towards the throttle: the password is proven, and it opens nothing any more.
    await recordAudit(
      db,
      {
        action: 'sign_in_failed',
        actorName: normalized,
        target: user.id,
        details: {
          reason: 'temporary_password_expired',
          expiredAt: new Date(user.temporaryPasswordExpiresAt!).toISOString(),
        },
        ip,
      },
      now,
    );
    return { ok: false, reason: 'temporary_password_expired' };
  }
  await clearAddressFailures(db, normalized, ip);
  const setCookie = await createSession(
    db,
    user.id,
    request,
    { ip, userAgent: request.headers.get('user-agent') },
    now,
    kind,
  );
  await recordAudit(db, { action: 'sign_in', actor: { userId: user.id, name: user.name }, ip }, now);
  return { ok: true, setCookie, role: user.role, mustChangePassword: user.mustChangePassword };
}
