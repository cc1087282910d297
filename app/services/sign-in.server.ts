import { eq } from 'drizzle-orm';
import type { Db } from '../../db/client';
import { type Role, users } from '../../db/schema';
import { recordAudit } from './audit.server';
import { dummyPasswordHash, verifyPassword } from './password.server';
import { createSession } from './session.server';
import { clearAccountFailures, isSignInThrottled, recordSignInFailure } from './throttle.server';

export type SignInResult =
  | { ok: true; setCookie: string; role: Role; mustChangePassword: boolean }
  | { ok: false; reason: 'invalid' | 'throttled' };

/** Checks the password (constant work whether or not the account exists), throttles, audits, rotates the session. */
export function signIn(db: Db, request: Request, email: string, password: string, ip: string | null): SignInResult {
  const normalized = email.trim().toLowerCase();
  if (isSignInThrottled(db, normalized, ip)) {
    recordAudit(db, { action: 'sign_in_failed', actorName: normalized, details: { reason: 'throttled' }, ip });
    return { ok: false, reason: 'throttled' };
  }
  const user = db.select().from(users).where(eq(users.email, normalized)).get();
  const usable = user?.active && user.passwordHash && !user.isService;
  const passwordOk = verifyPassword(password, usable ? user.passwordHash! : dummyPasswordHash());
  if (!usable || !passwordOk) {
    recordSignInFailure(db, normalized, ip);
    recordAudit(db, { action: 'sign_in_failed', actorName: normalized, details: { reason: 'invalid' }, ip });
    return { ok: false, reason: 'invalid' };
  }
  clearAccountFailures(db, normalized);
  const setCookie = createSession(db, user.id, request, { ip, userAgent: request.headers.get('user-agent') });
  recordAudit(db, { action: 'sign_in', actor: { userId: user.id, name: user.name }, ip });
  return { ok: true, setCookie, role: user.role, mustChangePassword: user.mustChangePassword };
}
