import type { Viewer } from '../../app/domain/access';
import type { Db } from '../../db/client';

export const BROWSER_UA =
  'Mozilla/5.0 (Linux; Android 14; Pixel 7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36';

/** Two teams, one agent each: ag_17 in tm_retail, ag_40 in tm_sales. */
export function seedAgents(db: Db): void {
  const teams = db.$client.prepare('INSERT INTO teams (id, name, created_at) VALUES (?, ?, 0)');
  teams.run('tm_retail', 'Retail');
  teams.run('tm_sales', 'Sales');
  const agents = db.$client.prepare('INSERT INTO agents (id, name, team_id, created_at) VALUES (?, ?, ?, 0)');
  agents.run('ag_17', 'Thandi Mokoena', 'tm_retail');
  agents.run('ag_40', 'Sam Lee', 'tm_sales');
}

export function agentViewer(agentId: string): Viewer {
  return { userId: `usr_${agentId}`, name: agentId, role: 'agent', scope: { kind: 'agent', agentId } };
}

export function eventsOf(db: Db, requestId: string) {
  const rows = db.$client
    .prepare<
      [string],
      { type: string; source: string; applied: number; anomaly: string | null; occurred_at: number; body: string }
    >(
      'SELECT type, source, applied, anomaly, occurred_at, body FROM events WHERE request_id = ? ORDER BY occurred_at, seq',
    )
    .all(requestId);
  return rows.map(({ body, ...row }) => ({ ...row, data: (JSON.parse(body) as { data: unknown }).data }));
}

export function request(db: Db, id: string) {
  return db.$client.prepare('SELECT * FROM payment_requests WHERE id = ?').get(id) as
    | Record<string, unknown>
    | undefined;
}
