import { eq } from 'drizzle-orm';
import { type Db, first } from '../../db/client';
import { users } from '../../db/tables';

/** What the account page shows of the signed-in person. */
export async function getAccount(db: Db, userId: string) {
  return first(
    await db
      .select({
        name: users.name,
        email: users.email,
        role: users.role,
        mustChangePassword: users.mustChangePassword,
        temporaryPasswordExpiresAt: users.temporaryPasswordExpiresAt,
      })
      .from(users)
      .where(eq(users.id, userId))
      .limit(1),
  );
}
