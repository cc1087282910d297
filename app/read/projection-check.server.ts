import { type Db, sqlRows } from '../../db/client';
import { eventBodyOfRow } from '../../db/event-rows';
import type { EventType } from '../domain/lifecycle';
import { type ProjectionEvent, projectRequest, type RequestProjection } from '../domain/projection';
import type { ExpirySettings } from '../domain/replay';

export interface ProjectionDifference {
  requestId: string;
  /** The columns that differ, stored value first: [stored, replayed]. Missing rows list `row`. */
  fields: Record<string, [unknown, unknown]>;
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

/** An event row as stored (snake_case columns), for the replay. */
export interface StoredEvent {
  id: string;
  request_id: string;
  type: EventType;
  occurred_at: number;
  source: string;
  body: string;
  link_ttl_ms: number | null;
}

/** The columns of an events row the replay needs, in the order verifiers select them. */
export const STORED_EVENT_COLUMNS = 'id, request_id, type, occurred_at, source, body, link_ttl_ms';

export function projectionEvent(event: StoredEvent): ProjectionEvent {
  return {
    id: event.id,
    type: event.type,
    occurredAt: event.occurred_at,
    source: event.source,
    body: eventBodyOfRow(event),
    linkTtlMs: event.link_ttl_ms,
  };
}

/**
 * One request's stored projection row (snake_case, as either engine returns it; undefined when
 * missing) against the replay of its events as of the row's own updated_at. Null when they agree.
 */
export function compareProjection(
  requestId: string,
  events: ProjectionEvent[],
  row: Record<string, unknown> | undefined,
  settings: ExpirySettings,
): ProjectionDifference | null {
  const now = typeof row?.updated_at === 'number' ? row.updated_at : Date.now();
  const projected = projectRequest(requestId, events, settings, now);
  if (!projected || !row) {
    if (!projected && !row) return null;
    return { requestId, fields: { row: [row ? 'present' : 'missing', projected ? 'present' : 'missing'] } };
  }
  const fields: ProjectionDifference['fields'] = {};
  for (const [key, column] of Object.entries(COLUMNS)) {
    const replayed = projected.projection[key as keyof RequestProjection];
    if (row[column] !== replayed) fields[key] = [row[column], replayed];
  }
  return Object.keys(fields).length > 0 ? { requestId, fields } : null;
}

/**
 * Replays every request from its stored events and compares with its stored projection. Each
 * projection is replayed as of its own updated_at (the `now` it was made with), so requests that
 * expired since are not reported. Each event's recorded TTL is used; `settings` (today's) only for
 * events accepted before TTLs were recorded (migration 0011), so a request whose link started before
 * that and that has not been replayed since a TTL change may be reported.
 */
export async function verifyProjections(
  db: Db,
  settings: ExpirySettings,
): Promise<{ checked: number; different: ProjectionDifference[] }> {
  const different: ProjectionDifference[] = [];
  let checked = 0;
  // Requests in pages, in request_id order (the events' index): one page's events in memory at a time.
  for (let after = ''; ; ) {
    const ids = (
      await sqlRows<{ request_id: string }>(
        db,
        'SELECT DISTINCT request_id FROM events WHERE request_id > ? ORDER BY request_id LIMIT ?',
        [after, VERIFY_PAGE],
      )
    ).map((row) => row.request_id);
    if (ids.length === 0) break;
    const list = ids.map(() => '?').join(', ');
    const events = await sqlRows<StoredEvent>(
      db,
      `SELECT ${STORED_EVENT_COLUMNS} FROM events WHERE request_id IN (${list}) ORDER BY request_id, seq`,
      ids,
    );
    const rows = new Map(
      (await sqlRows<Record<string, unknown>>(db, `SELECT * FROM payment_requests WHERE id IN (${list})`, ids)).map(
        (row) => [row.id as string, row],
      ),
    );
    const byRequest = new Map<string, StoredEvent[]>();
    for (const event of events) {
      const list = byRequest.get(event.request_id);
      if (list) list.push(event);
      else byRequest.set(event.request_id, [event]);
    }
    for (const id of ids) {
      checked += 1;
      const difference = compareProjection(id, (byRequest.get(id) ?? []).map(projectionEvent), rows.get(id), settings);
      if (difference) different.push(difference);
    }
    after = ids[ids.length - 1]!;
  }
  const orphanRows = await sqlRows<{ id: string }>(
    db,
    'SELECT id FROM payment_requests WHERE id NOT IN (SELECT request_id FROM events)',
  );
  for (const { id } of orphanRows) different.push({ requestId: id, fields: { row: ['present', 'missing'] } });
  return { checked, different };
}

/** Requests verified per read. */
const VERIFY_PAGE = 500;
