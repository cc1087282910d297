import { asc, eq, inArray } from 'drizzle-orm';
import { type Db, first } from '../../db/client';
import { eventBody } from '../../db/event-rows';
import { agents, events, paymentRequests, teams, users } from '../../db/tables';
import { isoOrNull, maskPhone } from '../domain/format';
import { ANOMALY_EXPLANATIONS, STATUS_LABELS } from '../domain/lifecycle';
import { compareForReplay } from '../domain/replay';

export type PaymentRequestRow = typeof paymentRequests.$inferSelect;

export async function getPaymentRequestRow(db: Db, id: string): Promise<PaymentRequestRow | undefined> {
  return first(await db.select().from(paymentRequests).where(eq(paymentRequests.id, id)).limit(1));
}

/** People's names by user id, for the "who did it" of a timeline (events carry only the id). */
async function namesOfUsers(db: Db, ids: string[]): Promise<Map<string, string>> {
  if (ids.length === 0) return new Map();
  const rows = await db
    .select({ id: users.id, name: users.name })
    .from(users)
    .where(inArray(users.id, [...new Set(ids)]));
  return new Map(rows.map((row) => [row.id, row.name]));
}

/** A request with its whole timeline in replay order, anomalies explained (SPEC §4). */
export async function getPaymentRequestWithTimeline(db: Db, row: PaymentRequestRow) {
  const agent = first(await db.select({ name: agents.name }).from(agents).where(eq(agents.id, row.agentId)).limit(1));
  const team = first(await db.select({ name: teams.name }).from(teams).where(eq(teams.id, row.teamId)).limit(1));
  const rows = await db.select().from(events).where(eq(events.requestId, row.id)).orderBy(asc(events.occurredAt));
  const parsed = rows.sort(compareForReplay).map((event) => ({
    event,
    data: (JSON.parse(eventBody(event.body, event)) as { data?: Record<string, unknown> }).data ?? {},
  }));
  const actorNames = await namesOfUsers(
    db,
    parsed.map(({ data }) => data.actorId).filter((id): id is string => typeof id === 'string'),
  );
  const timeline = parsed.map(({ event, data }) => {
    const anomaly = event.anomaly;
    const actorId = typeof data.actorId === 'string' ? data.actorId : null;
    return {
      id: event.id,
      type: event.type,
      occurredAt: isoOrNull(event.occurredAt),
      receivedAt: isoOrNull(event.receivedAt),
      source: event.source,
      applied: event.applied,
      anomaly,
      anomalyExplanation: anomaly ? ANOMALY_EXPLANATIONS[anomaly] : null,
      data,
      actorName: actorId ? (actorNames.get(actorId) ?? null) : null,
    };
  });
  const status = row.status;
  return {
    id: row.id,
    status,
    statusLabel: STATUS_LABELS[status],
    agent: { id: row.agentId, name: agent?.name ?? row.agentId },
    team: { id: row.teamId, name: team?.name ?? row.teamId },
    amount: row.amount,
    currency: row.currency,
    orderNumber: row.orderNumber,
    reason: row.reason,
    channel: row.channel,
    customer: { name: row.customerName, phone: maskPhone(row.customerPhone) },
    createdAt: isoOrNull(row.createdAt),
    sentAt: isoOrNull(row.sentAt),
    openedAt: isoOrNull(row.openedAt),
    paidAt: isoOrNull(row.paidAt),
    closedAt: isoOrNull(row.closedAt),
    expiresAt: isoOrNull(row.expiresAt),
    sendFailures: row.sendFailures,
    timeline,
  };
}
