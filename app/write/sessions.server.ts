import { eq, lt } from 'drizzle-orm';
import type { Db } from '../../db/client';
import { sessions } from '../../db/schema';

export function destroyUserSessions(db: Db, userId: string): void {
  db.delete(sessions).where(eq(sessions.userId, userId)).run();
}

export function purgeExpiredSessions(db: Db, now = Date.now()): void {
  db.delete(sessions).where(lt(sessions.expiresAt, now)).run();
}
