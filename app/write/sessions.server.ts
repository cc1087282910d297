import { eq, lt, or } from 'drizzle-orm';
import { changesOf, type Db, writeTransaction } from '../../db/client';
import { sessions } from '../../db/tables';

/** A session ends after an hour without a request... */
export const IDLE_TIMEOUT_MS = 60 * 60 * 1000;
/** ...and 12 hours after sign-in, whatever the activity. */
export const ABSOLUTE_TIMEOUT_MS = 12 * 60 * 60 * 1000;

export async function destroyUserSessions(db: Db, userId: string): Promise<void> {
  await writeTransaction(db, async () => await db.delete(sessions).where(eq(sessions.userId, userId)));
}

/** Deletes the sessions no cookie can open any more (past their absolute end, or idle too long). Returns how many. */
export async function purgeExpiredSessions(db: Db, now = Date.now()): Promise<number> {
  return await writeTransaction(db, async () =>
    changesOf(
      await db.delete(sessions).where(or(lt(sessions.expiresAt, now), lt(sessions.lastSeenAt, now - IDLE_TIMEOUT_MS))),
    ),
  );
}
