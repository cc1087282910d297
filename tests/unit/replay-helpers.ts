import type { EventType } from '../../app/domain/lifecycle';
import type { ExpirySettings, ReplayEvent, ReplayResult } from '../../app/domain/replay';

export const SECOND = 1_000;
export const MINUTE = 60_000;
/** 2026-11-23T08:00:00.000Z */
export const T0 = 1_795_420_800_000;
export const SETTINGS: ExpirySettings = { ttlUnopenedMs: 5 * MINUTE, ttlOpenedMs: 15 * MINUTE };

export type ShortType = EventType extends `payment_request.${infer T}` ? T : never;

/** An event as the replay reads it; `linkTtlMs` null: no TTL recorded, the replay's settings apply. */
export function ev(
  id: string,
  type: ShortType,
  occurredAt: number,
  source = 'api',
  linkTtlMs: number | null = null,
): ReplayEvent {
  return { id, type: `payment_request.${type}` as EventType, occurredAt, source, linkTtlMs };
}

/** A system expiry: the record the sweeper writes (SPEC §1 Expiry). */
export function sys(id: string, occurredAt: number): ReplayEvent {
  return ev(id, 'expired', occurredAt, 'system');
}

/** Outcomes as `id → 'applied' | anomaly`, checking that applied and anomaly never disagree. */
export function outcomeSummary(result: ReplayResult): Record<string, string> {
  const summary: Record<string, string> = {};
  for (const [id, outcome] of result.outcomes) {
    if (outcome.applied !== (outcome.anomaly === null)) {
      throw new Error(`outcome of ${id} is incoherent: ${JSON.stringify(outcome)}`);
    }
    summary[id] = outcome.anomaly ?? 'applied';
  }
  return summary;
}
