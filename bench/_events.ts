import { generateSeedEvents, type SeedEvent } from '../seed/generate';

/** The TTLs the ingest benches and profiles run with. */
export const BENCH_SETTINGS = { ttlUnopenedMs: 300_000, ttlOpenedMs: 900_000 };
const DAY = 86_400_000;

/** The first `count` events the seed generator makes (about four per request), as senders post them. */
export function seedEvents(seed: number, count: number, now: number, days: number): SeedEvent[] {
  const events: SeedEvent[] = [];
  for (const batch of generateSeedEvents({ requests: Math.ceil(count / 3), days, seed, now, ...BENCH_SETTINGS })) {
    for (const event of batch.events) {
      if (events.length === count) return events;
      events.push(event);
    }
  }
  return events;
}

/** The new events of the ingest bench: three days up to `now` (seed 12). */
export const freshEvents = (count: number, now: number): SeedEvent[] => seedEvents(12, count, now, 3);

/** Events that arrive late and out of order: weeks old, newest first, so each `created` comes last (seed 13). */
export const lateEvents = (count: number, now: number): SeedEvent[] =>
  seedEvents(13, count, now - 45 * DAY, 30).reverse();
