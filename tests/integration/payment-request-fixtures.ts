import type { Viewer } from '../../app/domain/access';
import { type Db, sqlRows, sqlRun } from '../../db/client';
import { eventBodyOfRow } from '../../db/event-rows';

export const BROWSER_UA =
  'Mozilla/5.0 (Linux; Android 14; Pixel 7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36';

/** Two teams, one agent each: ag_17 in tm_retail, ag_40 in tm_sales. */
export async function seedAgents(db: Db): Promise<void> {
  await sqlRun(
    db,
    "INSERT INTO teams (id, name, created_at) VALUES ('tm_retail', 'Retail', 0), ('tm_sales', 'Sales', 0)",
  );
  await sqlRun(
    db,
    "INSERT INTO agents (id, name, team_id, created_at) VALUES ('ag_17', 'Thandi Mokoena', 'tm_retail', 0), ('ag_40', 'Sam Lee', 'tm_sales', 0)",
  );
}

export function agentViewer(agentId: string): Viewer {
  return { userId: `usr_${agentId}`, name: agentId, role: 'agent', scope: { kind: 'agent', agentId } };
}

export async function eventsOf(db: Db, requestId: string) {
  const rows = await sqlRows<{
    type: string;
    source: string;
    applied: number;
    anomaly: string | null;
    occurred_at: number;
    body: string;
    id: string;
    request_id: string;
  }>(
    db,
    'SELECT type, source, CAST(applied AS INTEGER) AS applied, anomaly, occurred_at, body, id, request_id FROM events WHERE request_id = ? ORDER BY occurred_at, seq',
    [requestId],
  );
  return rows.map(({ body, id, request_id, ...row }) => ({
    ...row,
    data: (JSON.parse(eventBodyOfRow({ ...row, body, id, request_id })) as { data: unknown }).data,
  }));
}

export async function request(db: Db, id: string): Promise<Record<string, unknown> | undefined> {
  return (await sqlRows(db, 'SELECT * FROM payment_requests WHERE id = ?', [id]))[0];
}
