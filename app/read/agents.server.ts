import { inArray } from 'drizzle-orm';
import type { Db } from '../../db/client';
import { agents } from '../../db/tables';

export type AgentRow = typeof agents.$inferSelect;

/** Ids a statement names at most: SQLite takes 32,766 variables a statement, PostgreSQL 65,535. */
const IDS_PER_STATEMENT = 10_000;

/**
 * The agents of these ids, read a slice of ids at a time: an organisation may have more agents than
 * one statement takes variables (a leaderboard of every agent named them all).
 */
export async function agentsByIds(db: Db, ids: readonly string[]): Promise<AgentRow[]> {
  const found: AgentRow[] = [];
  for (let at = 0; at < ids.length; at += IDS_PER_STATEMENT) {
    found.push(
      ...(await db
        .select()
        .from(agents)
        .where(inArray(agents.id, ids.slice(at, at + IDS_PER_STATEMENT)))),
    );
  }
  return found;
}
