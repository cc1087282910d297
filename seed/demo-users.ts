import { eq } from 'drizzle-orm';
import type { Role } from '../app/domain/access';
import { hashPassword } from '../app/lib/password.server';
import { type Db, writeTransaction } from '../db/client';
import { agents, teams, users, userTeams } from '../db/tables';

/** The documented demo password of every demo account (README). Never created in production. */
export const DEMO_PASSWORD = 'paylink-demo';

interface DemoUser {
  id: string;
  email: string;
  name: string;
  role: Role;
  teamIds?: string[];
  agentId?: string;
}

const SUPERVISORS: readonly [teamId: string, name: string][] = [
  ['tm_retail', 'Rudo Dube'],
  ['tm_collections', 'Pieter van Wyk'],
  ['tm_travel', 'Amara Okafor'],
  ['tm_telesales', 'Lindiwe Khumalo'],
  ['tm_support', 'Sipho Ndlovu'],
];

export const DEMO_USERS: readonly DemoUser[] = [
  { id: 'usr_demo_admin', email: 'admin@paylink.test', name: 'Ada Admin', role: 'admin' },
  { id: 'usr_demo_manager', email: 'manager@paylink.test', name: 'Mandla Manager', role: 'manager' },
  ...SUPERVISORS.map(([teamId, name]) => ({
    id: `usr_demo_sup_${teamId.replace('tm_', '')}`,
    email: `${teamId.replace('tm_', '')}.supervisor@paylink.test`,
    name,
    role: 'supervisor' as const,
    teamIds: [teamId],
  })),
  { id: 'usr_demo_agent', email: 'agent@paylink.test', name: 'Thandi Mokoena', role: 'agent', agentId: 'ag_17' },
];

/**
 * Creates the demo accounts that do not exist yet (an existing email is left as it is, password
 * included). Teams and agents they refer to must exist (the seed's events create them).
 */
export async function ensureDemoUsers(db: Db, now = Date.now()): Promise<string[]> {
  if (process.env.NODE_ENV === 'production') throw new Error('Demo accounts are never created in production');
  const created: string[] = [];
  const missing: DemoUser[] = [];
  for (const user of DEMO_USERS) {
    const found = await db.select({ id: users.id }).from(users).where(eq(users.email, user.email)).limit(1);
    if (found.length === 0) missing.push(user);
  }
  const hashes = new Map(
    await Promise.all(missing.map(async (user) => [user.id, await hashPassword(DEMO_PASSWORD)] as const)),
  );
  await writeTransaction(db, async () => {
    for (const user of missing) {
      const teamIds: string[] = [];
      for (const id of user.teamIds ?? []) {
        if ((await db.select({ id: teams.id }).from(teams).where(eq(teams.id, id)).limit(1)).length > 0)
          teamIds.push(id);
      }
      const agentFound =
        user.agentId !== undefined &&
        (await db.select({ id: agents.id }).from(agents).where(eq(agents.id, user.agentId)).limit(1)).length > 0;
      await db.insert(users).values({
        id: user.id,
        email: user.email,
        name: user.name,
        role: user.role,
        agentId: agentFound ? user.agentId! : null,
        passwordHash: hashes.get(user.id)!,
        createdAt: now,
      });
      for (const teamId of teamIds) await db.insert(userTeams).values({ userId: user.id, teamId });
      created.push(user.email);
    }
  });
  return created;
}
