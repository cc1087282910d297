import { type Db, onPostgres, sqlRows } from '../../db/client';
import { currentStatus } from '../domain/current-status';
import { formatMoney, maskPhone } from '../domain/format';
import { cancelRefusalReason, isTerminal, STATUS_LABELS, type Status } from '../domain/lifecycle';
import { payUrlFor } from '../domain/pay-link';
import { dateTimeFormat } from '../lib/intl-cache';
import { shiftDate } from './date-ranges';

const RECENT_CARDS = 30;

interface CardRow {
  id: string;
  status: Status;
  amount: number;
  currency: string;
  channel: string;
  order_number: string;
  reason: string;
  customer_name: string | null;
  customer_phone: string;
  created_at: number;
  sent_at: number | null;
  opened_at: number | null;
  closed_at: number | null;
  expires_at: number | null;
  token: string | null;
  send_failure: string | null;
}

/**
 * A created_at at or below the RECENT_CARDS-th newest of the agent's requests, or null when they
 * have sent fewer: the created_at of the RECENT_CARDS most recently sent (pr_agent_sent_idx, read
 * backwards). A request is sent after it is created (a replay starts with its created event), so
 * every request newer than the floor was sent at or after it, or not yet: two short ranges of
 * pr_agent_sent_idx. Sorting all of an agent's requests by created_at instead grew with their
 * history (61 ms an agent at 1M requests, on the server's thread, at every live refresh).
 */
async function createdAtFloor(db: Db, agentId: string): Promise<number | null> {
  const sent = await sqlRows<{ created_at: number }>(
    db,
    'SELECT created_at FROM payment_requests WHERE agent_id = ? AND sent_at IS NOT NULL ORDER BY sent_at DESC LIMIT ?',
    [agentId, RECENT_CARDS],
  );
  return sent.length < RECENT_CARDS ? null : Math.min(...sent.map((row) => Number(row.created_at)));
}

/**
 * The agent's most recent requests as status cards, newest first, with what the agent can do on each;
 * with `conversationId`, only those sent from that chat conversation (the embedded panel).
 */
export async function getAgentRequestCards(
  db: Db,
  agentId: string,
  baseUrl: string,
  now: number,
  options: { conversationId?: string | null; locale?: string } = {},
) {
  // A conversation's requests first (CROSS JOIN: SQLite keeps that order): driven from the agent's
  // requests, the join read the agent's whole history (14 ms at 1M requests, warm; 0.05 ms so).
  const from = options.conversationId ? 'request_conversations c CROSS JOIN payment_requests r' : 'payment_requests r';
  const conversation = options.conversationId ? 'c.conversation_id = ? AND c.request_id = r.id AND ' : '';
  // A conversation holds few requests: they are read through it. Otherwise only the agent's newest.
  const floor = options.conversationId ? null : await createdAtFloor(db, agentId);
  // The never sent after the floor from their own index (by agent, then created_at): through
  // pr_agent_sent_idx they were one run of all the agent's never sent, each row read to test its
  // created_at (most of the 15-29 ms of a console at 10M requests).
  const neverSent = onPostgres(db) ? 'payment_requests' : 'payment_requests INDEXED BY pr_agent_never_sent_idx';
  const recent =
    floor === null
      ? { sql: 'r.agent_id = ?', params: [agentId] }
      : {
          sql: `r.id IN (SELECT id FROM payment_requests WHERE agent_id = ? AND sent_at >= ?
                  UNION ALL SELECT id FROM ${neverSent} WHERE agent_id = ? AND sent_at IS NULL AND created_at >= ?)
                AND r.created_at >= ?`,
          params: [agentId, floor, agentId, floor, floor],
        };
  // The failure's reason, from the stored body (text on both engines; db/event-rows.ts keeps `data`).
  const reason = onPostgres(db) ? `(e.body::jsonb #>> '{data,reason}')` : `json_extract(e.body, '$.data.reason')`;
  const rows = await sqlRows<CardRow>(
    db,
    `SELECT r.id, r.status, r.amount, r.currency, r.channel, r.order_number, r.reason, r.customer_name,
       r.customer_phone, r.created_at, r.sent_at, r.opened_at, r.closed_at, r.expires_at, l.token,
       CASE WHEN r.status = 'send_failed' THEN (
         SELECT ${reason} FROM events e
         WHERE e.request_id = r.id AND e.type = 'payment_request.send_failed' AND e.applied = TRUE
         ORDER BY e.occurred_at DESC, e.seq DESC LIMIT 1) END AS send_failure
     FROM ${from} LEFT JOIN pay_links l ON l.request_id = r.id
     WHERE ${conversation}${recent.sql} ORDER BY r.created_at DESC, r.id DESC LIMIT ?`,
    [...(options.conversationId ? [options.conversationId] : []), ...recent.params, RECENT_CARDS],
  );
  return rows.map((row) => {
    const status = currentStatus(row.status, row.expires_at, now);
    return {
      id: row.id,
      status,
      statusLabel: STATUS_LABELS[status],
      amountText: formatMoney(row.amount, row.currency, options.locale),
      orderNumber: row.order_number,
      reason: row.reason,
      channel: row.channel,
      customerName: row.customer_name,
      customerPhone: maskPhone(row.customer_phone),
      createdAt: row.created_at,
      sentAt: row.sent_at,
      // Expired by the clock but not swept yet: it closed at its expiry.
      closedAt: row.closed_at ?? (isTerminal(status) ? row.expires_at : null),
      expiresAt: row.expires_at,
      payUrl: row.token ? payUrlFor(baseUrl, row.token) : null,
      sendFailureReason: row.send_failure,
      canCancel: cancelRefusalReason(status, row.opened_at) === null,
      canRetry: status === 'send_failed' || (status === 'created' && row.token !== null),
    };
  });
}

export type AgentRequestCard = Awaited<ReturnType<typeof getAgentRequestCards>>[number];

const DAY_KEY = (timeZone: string) =>
  new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' });

/**
 * The console's order: open requests first (newest first), then finished ones by the day they
 * closed, in the organisation's zone: 'Today', 'Yesterday', then e.g. 'Monday 30 November'.
 */
export function groupAgentCards<T extends { status: Status; closedAt: number | null; createdAt: number }>(
  cards: readonly T[],
  timeZone: string,
  now: number,
  locale = 'en-GB',
) {
  const dayOf = DAY_KEY(timeZone);
  const today = dayOf.format(now);
  // The calendar day before (24 hours back is today or two days back around a DST change).
  const yesterday = shiftDate(today, -1);
  const label = dateTimeFormat(locale, { timeZone, weekday: 'long', day: 'numeric', month: 'long' });
  const open = cards.filter((card) => !isTerminal(card.status));
  const finished = cards
    .filter((card) => isTerminal(card.status))
    .sort((a, b) => (b.closedAt ?? b.createdAt) - (a.closedAt ?? a.createdAt));
  const days: { day: string; label: string; cards: T[] }[] = [];
  for (const card of finished) {
    const at = card.closedAt ?? card.createdAt;
    const day = dayOf.format(at);
    let group = days.at(-1);
    if (group?.day !== day) {
      group = {
        day,
        label: day === today ? 'Today' : day === yesterday ? 'Yesterday' : label.format(at),
        cards: [],
      };
      days.push(group);
    }
    group.cards.push(card);
  }
  return { open, finished: days };
}
