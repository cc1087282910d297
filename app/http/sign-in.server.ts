import { eq } from 'drizzle-orm';
import type { Db } from '../../db/client';
import { users } from '../../db/schema';
import type { Role } from '../domain/access';
import { dummyPasswordHash, isTemporaryPasswordExpired, verifyPassword } from '../lib/password.server';
import { recordAudit } from '../write/audit.server';
import { clearAccountFailures, isSignInThrottled, recordSignInFailure } from '../write/sign-in-throttle.server';
import { createSession, type SessionKind } from './session.server';

export type SignInFailure = 'invalid' | 'throttled' | 'temporary_password_expired';

export type SignInResult =
  | { ok: true; setCookie: string; role: Role; mustChangePassword: boolean }
  | { ok: false; reason: SignInFailure };

/**
 * Checks the password (constant work whether or not the account exists), throttles, audits, rotates
 * the session. An admin's temporary password past its 72 hours is refused; only someone who typed it
 * correctly learns that it expired, so this tells nothing about which emails have accounts.
 */
export function signIn(
  db: Db,
  request: Request,
  email: string,
  password: string,
  ip: string | null,
  now = Date.now(),
  kind: SessionKind = 'app',
): SignInResult {
  const normalized = email.trim().toLowerCase();
  if (isSignInThrottled(db, normalized, ip, now)) {
    recordAudit(db, { action: 'sign_in_failed', actorName: normalized, details: { reason: 'throttled' }, ip }, now);
    return { ok: false, reason: 'throttled' };
  }
  const user = db.select().from(users).where(eq(users.email, normalized)).get();
  const usable = user?.active && user.passwordHash && !user.isService;
  const passwordOk = verifyPassword(password, usable ? user.passwordHash! : dummyPasswordHash());
  if (!usable || !passwordOk) {
    recordSignInFailure(db, normalized, ip, now);
    recordAudit(db, { action: 'sign_in_failed', actorName: normalized, details: { reason: 'invalid' }, ip }, now);
    return { ok: false, reason: 'invalid' };
  }
  if (isTemporaryPasswordExpired(user, now)) {
    // Not counted towards the throttle: the password is proven, and it opens nothing any more.
    recordAudit(
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
  clearAccountFailures(db, normalized);
  const setCookie = createSession(
    db,
    user.id,
    request,
    { ip, userAgent: request.headers.get('user-agent') },
    now,
    kind,
  );
  recordAudit(db, { action: 'sign_in', actor: { userId: user.id, name: user.name }, ip }, now);
  return { ok: true, setCookie, role: user.role, mustChangePassword: user.mustChangePassword };
}
