import { eq } from 'drizzle-orm';
import { z } from 'zod';
import { type Db, first, writeTransaction } from '../../db/client';
import { users } from '../../db/tables';
import type { Viewer } from '../domain/access';
import { type FieldErrors, fieldErrorsOf } from '../lib/form.server';
import {
  hashPassword,
  isTemporaryPasswordExpired,
  newPasswordProblem,
  TEMPORARY_PASSWORD_EXPIRED_MESSAGE,
  verifyPassword,
} from '../lib/password.server';
import { recordAudit } from '../write/audit.server';
import { beginPasswordAttempt, clearAddressFailures, forgetPasswordAttempt } from '../write/sign-in-throttle.server';
import { currentSessionId, endOtherSessions, rotateSession } from './session.server';

/** Who changes their own password, from which browser (the session to keep) and address. */
export interface AccountContext {
  db: Db;
  actor: Pick<Viewer, 'userId' | 'name'>;
  request: Request;
  ip: string | null;
}

export type PasswordChangeResult =
  | { ok: true; setCookie: string; wasTemporary: boolean; otherSessionsEnded: number }
  | { ok: false; status: 400 | 403 | 429; fieldErrors: FieldErrors; formError: string | null };

const changePasswordSchema = z.object({
  currentPassword: z.string({ error: 'Enter your current password' }).min(1, 'Enter your current password'),
  newPassword: z.string({ error: 'Enter a new password' }).min(1, 'Enter a new password'),
  confirmPassword: z.string({ error: 'Enter the new password again' }).min(1, 'Enter the new password again'),
});

export const THROTTLED_MESSAGE = 'Too many wrong passwords. Wait 15 minutes and try again.';

const refused = (
  status: 400 | 403 | 429,
  fieldErrors: FieldErrors,
  formError: string | null = null,
): PasswordChangeResult => ({ ok: false, status, fieldErrors, formError });

/** The new password's problems that need no secret: its rules and the confirmation. */
function formProblems(input: z.infer<typeof changePasswordSchema>, email: string | null): FieldErrors {
  const errors: FieldErrors = {};
  const problem = newPasswordProblem(input.newPassword, email);
  if (problem) errors.newPassword = problem;
  if (input.confirmPassword !== input.newPassword) errors.confirmPassword = 'Does not match the new password';
  return errors;
}

/**
 * A person replaces their password. Wrong current passwords count against the same per-account
 * and per-address limits as failed sign-ins, so a stolen session cannot be used to guess the
 * password. Success ends the person's other sessions, rotates this one and clears the
 * temporary-password flag; both outcomes are audited.
 */
export async function changePassword(
  ctx: AccountContext,
  input: unknown,
  now = Date.now(),
): Promise<PasswordChangeResult> {
  const { db, actor, ip } = ctx;
  const user = first(await db.select().from(users).where(eq(users.id, actor.userId)).limit(1));
  if (!user?.active || user.isService || !user.passwordHash || !user.email) {
    return refused(403, {}, 'This account has no password to change.');
  }
  const parsed = changePasswordSchema.safeParse(input);
  if (!parsed.success) return refused(400, fieldErrorsOf(parsed.error));
  const problems = formProblems(parsed.data, user.email);
  if (Object.keys(problems).length > 0) return refused(400, problems);

  // A slowed account (many failures from everywhere) is not locked here either: the owner must get in.
  const counted = await beginPasswordAttempt(db, user.email, ip, now);
  if (counted.gate.kind === 'locked') {
    // Once a window per locked key, as a refused sign-in (beginPasswordAttempt): not a row per request.
    if (counted.firstRefusal)
      await recordAudit(db, { action: 'password_change_failed', actor, details: { reason: 'throttled' }, ip }, now);
    return refused(429, {}, THROTTLED_MESSAGE);
  }
  if (!(await verifyPassword(parsed.data.currentPassword, user.passwordHash))) {
    // Counted already (beginPasswordAttempt).
    await recordAudit(db, { action: 'password_change_failed', actor, details: { reason: 'wrong_password' }, ip }, now);
    return refused(400, { currentPassword: 'Your current password is not correct' });
  }
  await forgetPasswordAttempt(db, counted);
  await clearAddressFailures(db, user.email, ip);
  // A session opened with the temporary password can outlive it (up to 12 h): it no longer proves anything.
  if (isTemporaryPasswordExpired(user, now)) {
    await recordAudit(
      db,
      { action: 'password_change_failed', actor, details: { reason: 'temporary_password_expired' }, ip },
      now,
    );
    return refused(403, {}, TEMPORARY_PASSWORD_EXPIRED_MESSAGE);
  }
  // Compared only once the current password is proven: before that, this would answer guesses unthrottled.
  if (await verifyPassword(parsed.data.newPassword, user.passwordHash)) {
    return refused(400, { newPassword: 'Choose a password other than your current one' });
  }

  const passwordHash = await hashPassword(parsed.data.newPassword);
  const wasTemporary = user.mustChangePassword;
  const currentId = await currentSessionId(ctx.request);
  const otherSessionsEnded = await writeTransaction(db, async () => {
    await db
      .update(users)
      .set({ passwordHash, mustChangePassword: false, temporaryPasswordExpiresAt: null })
      .where(eq(users.id, user.id));
    const ended = await endOtherSessions(db, user.id, currentId);
    await recordAudit(
      db,
      {
        action: 'password_change',
        actor,
        target: user.id,
        details: { wasTemporary, otherSessionsEnded: ended },
        ip,
      },
      now,
    );
    return ended;
  });
  // After the commit: the rotation's cookie is signed asynchronously, which a SQLite transaction cannot wait for.
  const setCookie = await rotateSession(
    db,
    user.id,
    ctx.request,
    { ip, userAgent: ctx.request.headers.get('user-agent') },
    now,
  );
  return { ok: true, setCookie, wasTemporary, otherSessionsEnded };
}
