import { inArray, sql } from 'drizzle-orm';
import { type Db, onPostgres } from '../../db/client';
import { paymentRequests } from '../../db/tables';
import { indexLeadingWith } from './request-list/plan.server';

/** An agent who sent at least one request in a team (a request carries the team it was sent in). */
export interface TeamAgent {
  team: string;
  agent: string;
}

/*
 * Which agents sent requests in which of these teams, read as a loose index scan of (team_id,
 * agent_id, ...): per team the smallest agent id, then the next one after it, and so on. One index
 * seek per (team, agent) pair however many requests each pair has, where a DISTINCT would read every
 * request of the teams (a supervisor's teams hold 40% of a million requests).
 */

/** On SQLite, through an index leading with (team_id, agent_id); null without one. Synchronous. */
export function teamAgentsSqlite(db: Db, teamIds: readonly string[]): TeamAgent[] | null {
  const index = indexLeadingWith(db, [paymentRequests.teamId.name, paymentRequests.agentId.name]);
  if (!index) return null;
  const { teamId, agentId } = paymentRequests;
  const through = sql`${paymentRequests} INDEXED BY ${sql.identifier(index)}`;
  return db.all<TeamAgent>(sql`
    WITH RECURSIVE pairs(team, agent) AS (
      SELECT t.value, (SELECT min(${agentId}) FROM ${through} WHERE ${teamId} = t.value)
      FROM json_each(${JSON.stringify([...new Set(teamIds)])}) AS t
      UNION ALL
      SELECT team, (SELECT min(${agentId}) FROM ${through} WHERE ${teamId} = pairs.team AND ${agentId} > pairs.agent)
      FROM pairs WHERE agent IS NOT NULL
    )
    SELECT team, agent FROM pairs WHERE agent IS NOT NULL`);
}

/**
 * On PostgreSQL the same recursion: each min() with team_id fixed and agent_id bounded below is one
 * descent of pr_team_agent_sent_idx (the planner's min/max rewrite to an index scan with LIMIT 1).
 */
async function teamAgentsPostgres(db: Db & { $pg: NonNullable<Db['$pg']> }, teamIds: readonly string[]) {
  return await db.$pg.query<TeamAgent & Record<string, unknown>>(
    `WITH RECURSIVE pairs(team, agent) AS (
       SELECT t.team, (SELECT min(agent_id) FROM payment_requests WHERE team_id = t.team)
       FROM unnest($1::text[]) AS t(team)
       UNION ALL
       SELECT p.team, (SELECT min(agent_id) FROM payment_requests WHERE team_id = p.team AND agent_id > p.agent)
       FROM pairs AS p WHERE p.agent IS NOT NULL
     )
     SELECT team, agent FROM pairs WHERE agent IS NOT NULL`,
    [[...new Set(teamIds)]],
  );
}

/** The (team, agent) pairs of the requests sent in these teams, on either engine. */
export async function teamAgents(db: Db, teamIds: readonly string[]): Promise<TeamAgent[]> {
  if (teamIds.length === 0) return [];
  if (onPostgres(db)) return await teamAgentsPostgres(db, teamIds);
  const pairs = teamAgentsSqlite(db, teamIds);
  if (pairs) return pairs;
  // Without the index (a database before its migration): the same answer, reading the requests.
  return await db
    .selectDistinct({ team: paymentRequests.teamId, agent: paymentRequests.agentId })
    .from(paymentRequests)
    .where(inArray(paymentRequests.teamId, [...teamIds]));
}
