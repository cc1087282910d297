import { randomBytes, randomUUID } from 'node:crypto';
import { and, eq, isNull } from 'drizzle-orm';
import { type Db, first, writeTransaction } from '../../db/client';
import { agents, apiTokens, teams, users, userTeams } from '../../db/tables';
import { type Role, scopeFor, type Viewer } from '../domain/access';
import { maskCardNumbers } from '../domain/card-masking';
import { sha256Hex } from '../lib/canonical-json';

export function hashToken(token: string): string {
  return sha256Hex(token);
}

export interface CreateServiceTokenInput {
  role: Role;
  name: string;
  teamIds?: readonly string[];
  agentId?: string | null;
}

/** Creates a service user with the role and scope, and an API token for it. The token is returned once. */
export async function createServiceToken(
  db: Db,
  input: CreateServiceTokenInput,
): Promise<{ token: string; userId: string }> {
  const teamIds = [...new Set(input.teamIds ?? [])];
  if (input.role === 'supervisor' && teamIds.length === 0)
    throw new Error('A supervisor token needs at least one --team');
  if (input.role === 'agent' && !input.agentId) throw new Error('An agent token needs --agent');
  // A scope the role does not read would be recorded and listed (the admin's tokens page) while the
  // token sees everything its role sees: refused rather than silently widened.
  if (input.role !== 'supervisor' && teamIds.length > 0)
    throw new Error(
      `--team is for supervisor tokens only: a${input.role === 'agent' ? 'n' : ''} ${input.role} token's scope does not read teams`,
    );
  if (input.role !== 'agent' && input.agentId) throw new Error(`--agent is for agent tokens only, not ${input.role}`);
  const token = `pld_${randomBytes(32).toString('base64url')}`;
  const userId = `usr_${randomUUID()}`;
  const now = Date.now();
  await writeTransaction(db, async () => {
    // An agent is known from its first event (its name and team): a token cannot make one up.
    if (input.agentId && !first(await db.select({ id: agents.id }).from(agents).where(eq(agents.id, input.agentId)))) {
      throw new Error(
        `No agent ${input.agentId} has been seen yet: its first event creates it (or an admin invites the agent with a team)`,
      );
    }
    for (const teamId of teamIds) {
      if (!first(await db.select({ id: teams.id }).from(teams).where(eq(teams.id, teamId)).limit(1))) {
        // Named by its id until the first event that carries the team names it (ingestEvents).
        await db.insert(teams).values({ id: teamId, name: teamId, nameSource: 'placeholder', createdAt: now });
      }
    }
    await db.insert(users).values({
      id: userId,
      name: maskCardNumbers(input.name),
      role: input.role,
      agentId: input.agentId ?? null,
      isService: true,
      createdAt: now,
    });
    for (const teamId of teamIds) await db.insert(userTeams).values({ userId, teamId });
    await db.insert(apiTokens).values({
      id: `tok_${randomUUID()}`,
      userId,
      name: maskCardNumbers(input.name),
      tokenHash: hashToken(token),
      createdAt: now,
    });
  });
  return { token, userId };
}

/** An active user as a viewer (with their role's scope), and whether they still have to replace a temporary password. */
export async function loadAccount(
  db: Db,
  userId: string,
): Promise<{ viewer: Viewer; mustChangePassword: boolean } | null> {
  const user = first(
    await db
      .select()
      .from(users)
      .where(and(eq(users.id, userId), eq(users.active, true)))
      .limit(1),
  );
  if (!user) return null;
  const teamIds = (
    await db.select({ teamId: userTeams.teamId }).from(userTeams).where(eq(userTeams.userId, user.id))
  ).map((row) => row.teamId);
  return {
    viewer: { userId: user.id, name: user.name, role: user.role, scope: scopeFor(user.role, teamIds, user.agentId) },
    mustChangePassword: user.mustChangePassword,
  };
}

/** The viewer for a user id (active users only), with their role's scope. */
export async function loadViewer(db: Db, userId: string): Promise<Viewer | null> {
  return (await loadAccount(db, userId))?.viewer ?? null;
}

/** The viewer behind a bearer token, or null when the token is unknown, revoked or its user inactive. */
export async function viewerForToken(db: Db, token: string): Promise<Viewer | null> {
  const row = first(
    await db
      .select({ id: apiTokens.id, userId: apiTokens.userId, lastUsedAt: apiTokens.lastUsedAt })
      .from(apiTokens)
      .where(and(eq(apiTokens.tokenHash, hashToken(token)), isNull(apiTokens.revokedAt)))
      .limit(1),
  );
  if (!row) return null;
  // At most one write a minute: every API read must not take the write lock that ingestion needs.
  const now = Date.now();
  if (row.lastUsedAt === null || now - row.lastUsedAt > 60_000) {
    await writeTransaction(
      db,
      async () => await db.update(apiTokens).set({ lastUsedAt: now }).where(eq(apiTokens.id, row.id)),
    );
  }
  return await loadViewer(db, row.userId);
}
