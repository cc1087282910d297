import { type Anomaly, EVENT_TYPE_RANK, type EventType, isTerminal, type Status, TRANSITIONS } from './lifecycle';

export interface ReplayEvent {
  id: string;
  type: EventType;
  occurredAt: number;
  source: string;
  /**
   * The link TTL in force when the event was accepted (ms), recorded by the write path on the events
   * that start one (see linkTtlOf); null on the others, and on events stored before it was recorded,
   * which fall back to the replay's settings.
   */
  linkTtlMs: number | null;
}

export interface ExpirySettings {
  /** Milliseconds a link lives after the latest sent/send_failed while unopened. */
  ttlUnopenedMs: number;
  /** Milliseconds a link lives after opened while unpaid. */
  ttlOpenedMs: number;
}

export interface EventOutcome {
  applied: boolean;
  anomaly: Anomaly | null;
}

export interface RequestState {
  status: Status;
  createdAt: number;
  sentAt: number | null;
  openedAt: number | null;
  paidAt: number | null;
  closedAt: number | null;
  expiresAt: number | null;
  sendFailures: number;
  /** Id of the applied created event (the one that carries the request's details). */
  createdEventId: string;
}

export interface ReplayResult {
  state: RequestState;
  /** Outcome of every input event, by event id. */
  outcomes: Map<string, EventOutcome>;
  /**
   * When the replay expired the request at a time that no system `expired` event records yet,
   * that time: the sweeper must record it.
   */
  unrecordedExpiryAt: number | null;
}

const CREATED: EventType = 'payment_request.created';
const EXPIRED: EventType = 'payment_request.expired';

/**
 * The TTL an accepted event starts under `settings`, to be stored with it (SPEC §1 Expiry):
 * LINK_TTL_UNOPENED for sent and send_failed, LINK_TTL_OPENED for opened, null for any other type.
 * A settings change thus applies to links sent or opened after it only, whenever the replay runs.
 */
export function linkTtlOf(type: EventType, settings: ExpirySettings): number | null {
  if (type === 'payment_request.sent' || type === 'payment_request.send_failed') return settings.ttlUnopenedMs;
  if (type === 'payment_request.opened') return settings.ttlOpenedMs;
  return null;
}

export function isSystemExpiry(event: ReplayEvent): boolean {
  return event.type === EXPIRED && event.source === 'system';
}

/** Replay order of SPEC §1: created first, then occurredAt, ties by the event-type table, then id. */
export function compareForReplay(a: ReplayEvent, b: ReplayEvent): number {
  const aCreated = a.type === CREATED ? 0 : 1;
  const bCreated = b.type === CREATED ? 0 : 1;
  if (aCreated !== bCreated) return aCreated - bCreated;
  if (a.occurredAt !== b.occurredAt) return a.occurredAt - b.occurredAt;
  const rank = EVENT_TYPE_RANK[a.type] - EVENT_TYPE_RANK[b.type];
  if (rank !== 0) return rank;
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

/**
 * Replays one request's events through the state machine (SPEC §1). Returns null while the
 * request has no created event (an orphan: it counts nowhere). Each sent, send_failed and opened
 * starts the TTL recorded with it (`linkTtlMs`); `settings` only stands in where none was recorded.
 *
 * System expiries are derived, not inputs: the replay expires a non-terminal request when its
 * expiresAt is earlier than the next event or than `now`, and a system `expired` event is the
 * record of that expiry only when it sits exactly at the derived time; otherwise it is void.
 */
export function replayEvents(
  events: readonly ReplayEvent[],
  settings: ExpirySettings,
  now: number,
): ReplayResult | null {
  const ordered = [...events].sort(compareForReplay);
  const first = ordered[0];
  if (!first || first.type !== CREATED) return null;

  const outcomes = new Map<string, EventOutcome>();
  const state: RequestState = {
    status: 'created',
    createdAt: first.occurredAt,
    sentAt: null,
    openedAt: null,
    paidAt: null,
    closedAt: null,
    expiresAt: null,
    sendFailures: 0,
    createdEventId: first.id,
  };
  outcomes.set(first.id, { applied: true, anomaly: null });
  let derivedExpiryAt: number | null = null;

  const expireIfDue = (before: number) => {
    if (isTerminal(state.status) || state.expiresAt === null || state.expiresAt >= before) return;
    state.status = 'expired';
    state.closedAt = state.expiresAt;
    derivedExpiryAt = state.expiresAt;
  };

  const systemExpiries: ReplayEvent[] = [];
  for (const event of ordered.slice(1)) {
    if (isSystemExpiry(event)) {
      systemExpiries.push(event);
      continue;
    }
    expireIfDue(event.occurredAt);
    outcomes.set(event.id, applyEvent(state, event, settings));
  }
  expireIfDue(now);

  let recorded = false;
  for (const event of systemExpiries) {
    const isRecord: boolean = !recorded && derivedExpiryAt !== null && event.occurredAt === derivedExpiryAt;
    recorded ||= isRecord;
    outcomes.set(event.id, isRecord ? { applied: true, anomaly: null } : { applied: false, anomaly: 'void' });
  }

  return { state, outcomes, unrecordedExpiryAt: derivedExpiryAt !== null && !recorded ? derivedExpiryAt : null };
}

function applyEvent(state: RequestState, event: ReplayEvent, settings: ExpirySettings): EventOutcome {
  const transition = TRANSITIONS[event.type];
  if (transition.from === 'any') return { applied: true, anomaly: null };
  if (isTerminal(state.status)) return { applied: false, anomaly: 'after_terminal' };
  if (transition.from === 'first' || !transition.from.includes(state.status) || transition.to === null) {
    return { applied: false, anomaly: 'invalid_transition' };
  }

  const at = event.occurredAt;
  state.status = transition.to;
  switch (transition.to) {
    case 'sent':
      state.sentAt ??= at;
      state.expiresAt = at + (event.linkTtlMs ?? settings.ttlUnopenedMs);
      break;
    case 'send_failed':
      state.sendFailures += 1;
      state.expiresAt = at + (event.linkTtlMs ?? settings.ttlUnopenedMs);
      break;
    case 'opened':
      state.openedAt ??= at;
      state.expiresAt = at + (event.linkTtlMs ?? settings.ttlOpenedMs);
      break;
    case 'paid':
      state.paidAt ??= at;
      break;
  }
  if (isTerminal(state.status)) state.closedAt = at;
  return { applied: true, anomaly: null };
}
