import { describe, expect, it } from 'vitest';
import { validateEvent } from '../../app/domain/event-schema';
import type { Status } from '../../app/domain/lifecycle';
import { currencyExponent } from '../../app/domain/money';
import { linkTtlOf, type ReplayEvent, type ReplayResult, replayEvents } from '../../app/domain/replay';
import { generateSeedEvents, type SeedBatch, type SeedEvent, type SeedOptions } from '../../seed/generate';

// A Tuesday afternoon, so the last minutes of the period are busy.
const NOW = Date.parse('2026-03-10T14:30:00.000Z');
const TTL = { ttlUnopenedMs: 5 * 60_000, ttlOpenedMs: 15 * 60_000 };
const OPTIONS: SeedOptions = { requests: 2000, days: 30, seed: 42, now: NOW, ...TTL };

function collect(options: SeedOptions): SeedBatch[] {
  return [...generateSeedEvents(options)];
}

interface Replayed {
  requestId: string;
  intended: Status;
  events: SeedEvent[];
  result: ReplayResult;
}

/** Replays every request from its events (source seed) and system expiries (source system). */
function replayAll(batches: SeedBatch[], now: number, ttl = TTL): Replayed[] {
  const replayed: Replayed[] = [];
  for (const batch of batches) {
    const byRequest = new Map<string, ReplayEvent[]>();
    const eventsOf = new Map<string, SeedEvent[]>();
    const add = (event: SeedEvent, source: string) => {
      const requestId = event.paymentRequest.id;
      // As ingest records it: the TTL in force (the seed's) with each event that starts one.
      const replayEvent = {
        id: event.id,
        type: event.type,
        occurredAt: Date.parse(event.occurredAt),
        source,
        linkTtlMs: linkTtlOf(event.type, ttl),
      };
      byRequest.set(requestId, [...(byRequest.get(requestId) ?? []), replayEvent]);
      eventsOf.set(requestId, [...(eventsOf.get(requestId) ?? []), event]);
    };
    for (const event of batch.events) add(event, 'seed');
    for (const event of batch.systemEvents) add(event, 'system');
    for (const { requestId, status } of batch.outcomes) {
      const result = replayEvents(byRequest.get(requestId) ?? [], ttl, now);
      expect(result, requestId).not.toBeNull();
      replayed.push({ requestId, intended: status, events: eventsOf.get(requestId)!, result: result! });
    }
  }
  return replayed;
}

const batches = collect(OPTIONS);
const replayed = replayAll(batches, NOW);
const allEvents = batches.flatMap((batch) => [...batch.events, ...batch.systemEvents]);

describe('generateSeedEvents', () => {
  it('gives byte-identical output for the same options and other data for another seed', () => {
    const again = collect(OPTIONS);
    expect(JSON.stringify(again)).toBe(JSON.stringify(batches));
    const other = collect({ ...OPTIONS, seed: 43 });
    expect(other[0]!.events[0]!.id).toBe('evt_43_1');
    const strip = (list: SeedBatch[]) => JSON.stringify(list).replaceAll(/_4[23]_/g, '_');
    expect(strip(other)).not.toBe(strip(batches));
  });

  it('does not depend on the batch size', () => {
    const small = collect({ ...OPTIONS, batchEvents: 100 });
    expect(small.length).toBeGreaterThan(batches.length);
    const flatten = (list: SeedBatch[]) => JSON.stringify(list.flatMap((batch) => batch.events));
    expect(flatten(small)).toBe(flatten(batches));
  });

  it('creates exactly the requested number of requests, each whole in one batch', () => {
    expect(replayed).toHaveLength(2000);
    expect(new Set(replayed.map((request) => request.requestId)).size).toBe(2000);
    for (const batch of batches) {
      const inBatch = new Set(batch.outcomes.map((outcome) => outcome.requestId));
      for (const event of [...batch.events, ...batch.systemEvents])
        expect(inBatch.has(event.paymentRequest.id)).toBe(true);
    }
    expect(new Set(allEvents.map((event) => event.id)).size).toBe(allEvents.length);
  });

  it('generates only events that pass validation and none after now', () => {
    for (const event of allEvents) {
      const validation = validateEvent(JSON.parse(JSON.stringify(event)), NOW);
      expect(validation.ok ? null : validation.error, event.id).toBeNull();
      expect(Date.parse(event.occurredAt)).toBeLessThanOrEqual(NOW);
      expect(Date.parse(event.occurredAt)).toBeGreaterThanOrEqual(NOW - 30 * 86_400_000);
    }
  });

  it('replays every request without anomalies to the intended status, every expiry recorded', () => {
    for (const { requestId, intended, result } of replayed) {
      const anomalies = [...result.outcomes.entries()].filter(([, outcome]) => !outcome.applied || outcome.anomaly);
      expect(anomalies, requestId).toEqual([]);
      expect(result.state.status, requestId).toBe(intended);
      expect(result.unrecordedExpiryAt, requestId).toBeNull();
    }
  });

  it('has every outcome in plausible proportions of the sent requests', () => {
    const sent = replayed.filter(({ result }) => result.state.sentAt !== null);
    const share = (predicate: (request: Replayed) => boolean, of: Replayed[] = sent) =>
      of.filter(predicate).length / of.length;
    const status = (name: Status) => (request: Replayed) => request.result.state.status === name;
    const has = (type: string) => (request: Replayed) =>
      request.events.some((event) => event.type === `payment_request.${type}`);

    expect(share(({ result }) => result.state.openedAt !== null)).toBeGreaterThan(0.75);
    expect(share(({ result }) => result.state.openedAt !== null)).toBeLessThan(0.9);
    expect(share(status('paid'))).toBeGreaterThan(0.55);
    expect(share(status('paid'))).toBeLessThan(0.7);
    expect(share(status('declined'))).toBeGreaterThan(0.04);
    expect(share(status('declined'))).toBeLessThan(0.1);
    expect(share(status('expired'))).toBeGreaterThan(0.15);
    expect(share(status('expired'))).toBeLessThan(0.3);
    expect(share(status('canceled'))).toBeGreaterThan(0.02);
    expect(share(status('canceled'))).toBeLessThan(0.07);
    expect(share(has('send_failed'), replayed)).toBeGreaterThan(0.015);
    expect(share(has('send_failed'), replayed)).toBeLessThan(0.06);

    const expired = sent.filter(status('expired'));
    expect(share(({ result }) => result.state.openedAt === null, expired)).toBeGreaterThan(0.3);
    expect(share(({ result }) => result.state.openedAt !== null, expired)).toBeGreaterThan(0.3);
    expect(sent.filter((request) => status('paid')(request) && has('payment_failed')(request)).length).toBeGreaterThan(
      10,
    );
    expect(sent.filter((request) => status('paid')(request) && has('send_failed')(request)).length).toBeGreaterThan(5);
    expect(replayed.filter(has('cancel_rejected')).length).toBeGreaterThan(5);
  });

  it('spreads requests over teams, agents, channels and currencies with realistic amounts', () => {
    const created = allEvents.flatMap((event) =>
      event.type === 'payment_request.created' && 'agent' in event.paymentRequest ? [event.paymentRequest] : [],
    );
    expect(new Set(created.map((request) => request.agent.team.id)).size).toBe(5);
    expect(new Set(created.map((request) => request.agent.id)).size).toBe(25);
    expect(new Set(created.map((request) => request.channel))).toEqual(
      new Set(['whatsapp', 'sms', 'webchat', 'email']),
    );
    const currencies = new Set(created.map((request) => request.currency));
    expect(currencies).toEqual(new Set(['USD', 'EUR', 'GBP', 'ZAR', 'JPY', 'KWD']));
    expect(created.filter((request) => request.currency === 'USD').length / created.length).toBeGreaterThan(0.4);

    const perUsd: Record<string, number> = { USD: 1, EUR: 0.92, GBP: 0.79, ZAR: 18.2, JPY: 150, KWD: 0.307 };
    for (const request of created) {
      const usd = request.amount / 10 ** currencyExponent(request.currency) / perUsd[request.currency]!;
      expect(usd, `${request.id} ${request.amount} ${request.currency}`).toBeGreaterThan(3);
      expect(usd, `${request.id} ${request.amount} ${request.currency}`).toBeLessThan(3500);
      expect(request.customer.phone).toMatch(/^\+[1-9]\d{7,14}$/);
      expect(request.orderNumber).toMatch(/^SO-\d{6,}$/);
    }
  });

  it('follows weekday and hour-of-day seasonality', () => {
    const createdAt = allEvents
      .filter((event) => event.type === 'payment_request.created')
      .map((event) => new Date(event.occurredAt));
    const businessHours = createdAt.filter(
      (at) => at.getUTCDay() >= 1 && at.getUTCDay() <= 5 && at.getUTCHours() >= 9 && at.getUTCHours() < 18,
    );
    const nights = createdAt.filter((at) => at.getUTCHours() < 6);
    // Weekday office hours are 45 of the week's 168 hours.
    expect(businessHours.length / createdAt.length).toBeGreaterThan(0.55);
    expect(nights.length / createdAt.length).toBeLessThan(0.03);
  });

  it('leaves requests in flight in the last minutes, cut at now', () => {
    const recent = replayAll(collect({ ...OPTIONS, requests: 3000, days: 1 }), NOW);
    const inFlight = recent.filter(({ result }) => ['sent', 'opened', 'payment_failed'].includes(result.state.status));
    expect(inFlight.length).toBeGreaterThan(5);
    for (const { result } of inFlight) expect(result.state.expiresAt).toBeGreaterThanOrEqual(NOW);
  });

  it('keeps every event inside the shortest link lifetimes', () => {
    const short = { ttlUnopenedMs: 60_000, ttlOpenedMs: 60_000 };
    for (const { requestId, intended, result } of replayAll(
      collect({ ...OPTIONS, requests: 500, ...short }),
      NOW,
      short,
    )) {
      expect(
        [...result.outcomes.values()].every((outcome) => outcome.applied && !outcome.anomaly),
        requestId,
      ).toBe(true);
      expect(result.state.status, requestId).toBe(intended);
    }
  });

  it('rejects options that are not positive integers', () => {
    expect(() => collect({ ...OPTIONS, requests: 0 })).toThrow(/requests/);
    expect(() => collect({ ...OPTIONS, days: 1.5 })).toThrow(/days/);
  });
});
