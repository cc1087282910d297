import { and, asc, count, desc, eq, isNotNull, isNull, type SQL, sql } from 'drizzle-orm';
import { type Db, first } from '../../db/client';
import { agents, apiTokens, auditLog, teams, users, userTeams } from '../../db/tables';
import { firstByNameThenId, foldedName } from '../lib/name-order';
import { isTemporaryPasswordExpired } from '../lib/password.server';

export type TeamOption = { id: string; name: string };

/** Agents an admin page lists or suggests at most (as the filter pickers: AGENT_CHOICES_LIMIT). */
export const ADMIN_AGENTS_LIMIT = 200;

export async function listTeamOptions(db: Db): Promise<TeamOption[]> {
  return await db
    .select({ id: teams.id, name: teams.name })
    .from(teams)
    .orderBy(asc(sql`lower(${teams.name})`), asc(teams.id));
}

/**
 * The agents an admin form's Agent id field suggests (a <datalist>): the first `limit` by name. The
 * field takes any id typed; an organisation of 33,000 agents sent them all with the page.
 */
export async function listAgentOptions(db: Db, limit = ADMIN_AGENTS_LIMIT) {
  return await db
    .select({ id: agents.id, name: agents.name, teamName: teams.name })
    .from(agents)
    .innerJoin(teams, eq(teams.id, agents.teamId))
    .orderBy(asc(sql`lower(${agents.name})`), asc(agents.id))
    .limit(limit);
}

/** Team ids and names per user, for the users and tokens lists. */
async function teamsByUser(db: Db): Promise<Map<string, TeamOption[]>> {
  const rows = await db
    .select({ userId: userTeams.userId, id: teams.id, name: teams.name })
    .from(userTeams)
    .innerJoin(teams, eq(teams.id, userTeams.teamId))
    .orderBy(asc(sql`lower(${teams.name})`));
  const byUser = new Map<string, TeamOption[]>();
  for (const { userId, id, name } of rows) byUser.set(userId, [...(byUser.get(userId) ?? []), { id, name }]);
  return byUser;
}

/**
 * People with a login (service users own API tokens and are listed there). `temporaryPassword` is set
 * while someone has yet to replace an admin's temporary password: when it expires, and whether it has
 * by `now`.
 */
export async function listUsers(db: Db, now = Date.now()) {
  const teamMap = await teamsByUser(db);
  return (
    await db
      .select({
        id: users.id,
        name: users.name,
        email: users.email,
        role: users.role,
        agentId: users.agentId,
        agentName: agents.name,
        agentTeamName: teams.name,
        active: users.active,
        lastLoginAt: users.lastLoginAt,
        createdAt: users.createdAt,
        mustChangePassword: users.mustChangePassword,
        temporaryPasswordExpiresAt: users.temporaryPasswordExpiresAt,
      })
      .from(users)
      .leftJoin(agents, eq(agents.id, users.agentId))
      .leftJoin(teams, eq(teams.id, agents.teamId))
      .where(eq(users.isService, false))
      .orderBy(desc(users.active), asc(sql`lower(${users.name})`))
  ).map(({ mustChangePassword, temporaryPasswordExpiresAt, ...user }) => ({
    ...user,
    teams: teamMap.get(user.id) ?? [],
    temporaryPassword: mustChangePassword
      ? {
          expiresAt: temporaryPasswordExpiresAt,
          expired: isTemporaryPasswordExpired({ mustChangePassword, temporaryPasswordExpiresAt }, now),
        }
      : null,
  }));
}

export type AdminUser = Awaited<ReturnType<typeof listUsers>>[number];

const WITHOUT_LOGIN = sql`NOT EXISTS (SELECT 1 FROM ${users} WHERE ${users.agentId} = ${agents.id} AND ${users.isService} = FALSE)`;

/**
 * Agents first seen in events that no person's login carries yet (SPEC §2: they exist without a
 * login), the first `limit` by name (or only the agent `id`); countAgentsWithoutLogin tells how many.
 */
export async function listAgentsWithoutLogin(
  db: Db,
  { limit = ADMIN_AGENTS_LIMIT, id }: { limit?: number; id?: string } = {},
) {
  return await agentsWithoutLoginQuery(db, id === undefined ? WITHOUT_LOGIN : and(WITHOUT_LOGIN, eq(agents.id, id)))
    .orderBy(asc(agents.name), asc(agents.id))
    .limit(limit);
}

/** The agents without a login that `where` picks, each with their team's name and when first seen. */
function agentsWithoutLoginQuery(db: Db, where: SQL | undefined) {
  return db
    .select({
      id: agents.id,
      name: agents.name,
      teamId: agents.teamId,
      teamName: teams.name,
      firstSeenAt: agents.createdAt,
    })
    .from(agents)
    .innerJoin(teams, eq(teams.id, agents.teamId))
    .where(where);
}

export async function countAgentsWithoutLogin(db: Db): Promise<number> {
  return first(await db.select({ n: count() }).from(agents).where(WITHOUT_LOGIN))?.n ?? 0;
}

/**
 * The agents without a login whose name or id contains `find`, any case, any accents (`ana` finds
 * "Ana", "Anaïs" and "Ánh Ana"), as the filter pickers' find box (searchAgents): the first `limit` by
 * name and how many match. Matched here, not in SQL: no engine's LIKE ignores accents; a search reads
 * the rows without a login (33,000 in the largest organisation known) and orders only the first matches.
 */
export async function searchAgentsWithoutLogin(db: Db, find: string, limit = ADMIN_AGENTS_LIMIT) {
  const wanted = foldedName(find.trim());
  const rows = await agentsWithoutLoginQuery(db, WITHOUT_LOGIN);
  const found = rows.filter(
    (agent) => foldedName(agent.name).includes(wanted) || foldedName(agent.id).includes(wanted),
  );
  return { agents: firstByNameThenId(found, limit), matches: found.length };
}

/** Teams with how many agents they hold and who supervises them (active supervisors with a login). */
export async function listTeams(db: Db) {
  const agentCounts = new Map(
    (await db.select({ teamId: agents.teamId, n: count() }).from(agents).groupBy(agents.teamId)).map((row) => [
      row.teamId,
      row.n,
    ]),
  );
  const supervisors = await db
    .select({ teamId: userTeams.teamId, name: users.name })
    .from(userTeams)
    .innerJoin(users, eq(users.id, userTeams.userId))
    .where(and(eq(users.role, 'supervisor'), eq(users.isService, false), eq(users.active, true)))
    .orderBy(asc(users.name));
  return (await listTeamOptions(db)).map((team) => ({
    ...team,
    agentCount: agentCounts.get(team.id) ?? 0,
    supervisors: supervisors.filter((row) => row.teamId === team.id).map((row) => row.name),
  }));
}

/** Every token, newest first, with its service user's role and scope and the admin who created it (from the audit log). */
export async function listApiTokens(db: Db) {
  const teamMap = await teamsByUser(db);
  const creators = new Map(
    (
      await db
        .select({ tokenId: auditLog.target, actorName: auditLog.actorName })
        .from(auditLog)
        .where(and(eq(auditLog.action, 'token_create'), isNotNull(auditLog.target)))
    ).map((row) => [row.tokenId, row.actorName]),
  );
  return (
    await db
      .select({
        id: apiTokens.id,
        name: apiTokens.name,
        ownerId: users.id,
        ownerName: users.name,
        role: users.role,
        agentId: users.agentId,
        createdAt: apiTokens.createdAt,
        lastUsedAt: apiTokens.lastUsedAt,
        revokedAt: apiTokens.revokedAt,
      })
      .from(apiTokens)
      .innerJoin(users, eq(users.id, apiTokens.userId))
      .orderBy(sql`${apiTokens.revokedAt} IS NOT NULL`, desc(apiTokens.createdAt))
  ).map((token) => ({
    ...token,
    teams: teamMap.get(token.ownerId) ?? [],
    createdBy: creators.get(token.id) ?? null,
  }));
}

/** The counts on the admin overview page. */
export async function getAdminOverview(db: Db) {
  const people = await db
    .select({ active: users.active, n: count() })
    .from(users)
    .where(eq(users.isService, false))
    .groupBy(users.active);
  return {
    activeUsers: people.find((row) => row.active)?.n ?? 0,
    inactiveUsers: people.find((row) => !row.active)?.n ?? 0,
    agentsWithoutLogin: await countAgentsWithoutLogin(db),
    teams: first(await db.select({ n: count() }).from(teams).limit(1))!.n,
    activeTokens: first(await db.select({ n: count() }).from(apiTokens).where(isNull(apiTokens.revokedAt)).limit(1))!.n,
  };
}
