import type { Db } from '../../db/client';
import { eventBodyOfRow } from '../../db/event-rows';
import type { EventType } from '../domain/lifecycle';
import { type ProjectionEvent, projectRequest, type RequestProjection } from '../domain/projection';
import type { ExpirySettings } from '../domain/replay';

export interface ProjectionDifference {
  requestId: string;
  /** The columns that differ, stored value first: [stored, replayed]. Missing rows list `row`. */
  fields: Record<string, [unknown, unknown]>;
}

interface StoredEvent {
  id: string;
  request_id: string;
  type: EventType;
  occurred_at: number;
  source: string;
  body: string;
  link_ttl_ms: number | null;
}

const COLUMNS: Record<keyof RequestProjection, string> = {
  id: 'id',
  agentId: 'agent_id',
  teamId: 'team_id',
  amount: 'amount',
  currency: 'currency',
  channel: 'channel',
  orderNumber: 'order_number',
  reason: 'reason',
  customerName: 'customer_name',
  customerPhone: 'customer_phone',
  status: 'status',
  createdAt: 'created_at',
  sentAt: 'sent_at',
  openedAt: 'opened_at',
  paidAt: 'paid_at',
  closedAt: 'closed_at',
  expiresAt: 'expires_at',
  expiryDueAt: 'expiry_due_at',
  sendFailures: 'send_failures',
  lastEventAt: 'last_event_at',
};

/**
 * Replays every request from its stored events and compares with its stored projection. Each
 * projection is replayed as of its own updated_at (the `now` it was made with), so requests that
 * expired since are not reported. Each event's recorded TTL is used; `settings` (today's) only for
 * events accepted before TTLs were recorded (migration 0011), so a request whose link started before
 * that and that has not been replayed since a TTL change may be reported.
 */
export function verifyProjections(
  db: Db,
  settings: ExpirySettings,
): { checked: number; different: ProjectionDifference[] } {
  const stored = db.$client.prepare<[string], Record<string, unknown>>('SELECT * FROM payment_requests WHERE id = ?');
  const different: ProjectionDifference[] = [];
  let checked = 0;
  let current: string | null = null;
  let events: ProjectionEvent[] = [];
  const check = () => {
    if (current === null) return;
    checked += 1;
    const row = stored.get(current);
    const now = typeof row?.updated_at === 'number' ? row.updated_at : Date.now();
    const projected = projectRequest(current, events, settings, now);
    if (!projected || !row) {
      if (projected || row)
        different.push({
          requestId: current,
          fields: { row: [row ? 'present' : 'missing', projected ? 'present' : 'missing'] },
        });
      return;
    }
    const fields: ProjectionDifference['fields'] = {};
    for (const [key, column] of Object.entries(COLUMNS)) {
      const replayed = projected.projection[key as keyof RequestProjection];
      if (row[column] !== replayed) fields[key] = [row[column], replayed];
    }
    if (Object.keys(fields).length > 0) different.push({ requestId: current, fields });
  };
  // Events come ordered by request (its index), one request's events in memory at a time.
  const all = db.$client.prepare<[], StoredEvent>(
    'SELECT id, request_id, type, occurred_at, source, body, link_ttl_ms FROM events ORDER BY request_id, seq',
  );
  for (const event of all.iterate()) {
    if (event.request_id !== current) {
      check();
      current = event.request_id;
      events = [];
    }
    events.push({
      id: event.id,
      type: event.type,
      occurredAt: event.occurred_at,
      source: event.source,
      body: eventBodyOfRow(event),
      linkTtlMs: event.link_ttl_ms,
    });
  }
  check();
  const orphanRows = db.$client
    .prepare<[], { id: string }>('SELECT id FROM payment_requests WHERE id NOT IN (SELECT request_id FROM events)')
    .all();
  for (const { id } of orphanRows) different.push({ requestId: id, fields: { row: ['present', 'missing'] } });
  return { checked, different };
}
