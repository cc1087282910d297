/**
 * The teams and agents events name, written by the SQLite ingest and the bulk generator alike (the
 * bulk result must equal ingesting the same events). Parameters in order.
 */

/**
 * (id, name, created_at): a placeholder name (the id a scope gave a team before any event) gives way
 * to the first name an event carries; a name from an event or an admin stays.
 */
export const UPSERT_TEAM_SQL = `INSERT INTO teams (id, name, name_source, created_at) VALUES (?, ?, 'event', ?)
  ON CONFLICT (id) DO UPDATE SET name = excluded.name, name_source = 'event'
  WHERE teams.name_source = 'placeholder'`;

/**
 * (id, name, team_id, created_at, seen_at): an agent takes the name and team of the newest event that
 * names them (seen_at, when it happened): an agent who moves teams moves with their next event, and a
 * late event older than that does not move them back.
 */
export const UPSERT_AGENT_SQL = `INSERT INTO agents (id, name, team_id, created_at, seen_at) VALUES (?, ?, ?, ?, ?)
  ON CONFLICT (id) DO UPDATE SET name = excluded.name, team_id = excluded.team_id, seen_at = excluded.seen_at
  WHERE excluded.seen_at > agents.seen_at`;
