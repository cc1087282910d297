import { describe, expect, it } from 'vitest';
import type { IngestSummary } from '../../app/write/ingest-plan';
import { MAX_GROUP_EVENTS, splitSummary, takeGroup } from '../../app/write/ingest-writer';

// The ingest writer thread stores the batches that waited for it in one transaction
// (app/write/ingest-writer.worker.ts): which batches make a group, and how its summary is cut back.
const batch = (name: string, events: number, source: 'api' | 'system' = 'api') => ({
  name,
  source,
  inputs: Array.from({ length: events }, () => null),
});
const names = (group: { name: string }[]) => group.map(({ name }) => name);

describe('a group of waiting batches', () => {
  it('takes the head and each next batch of its source, in order, up to the bound', () => {
    const queue = [batch('a', 1000), batch('b', 1000), batch('sweep', 5, 'system'), batch('c', 3)];
    expect(names(takeGroup(queue))).toEqual(['a', 'b']);
    expect(names(takeGroup(queue))).toEqual(['sweep']);
    expect(names(takeGroup(queue))).toEqual(['c']);
    expect(takeGroup(queue)).toEqual([]);
  });

  it('never holds more events than one request may carry (SPEC §2: 10,000)', () => {
    expect(MAX_GROUP_EVENTS).toBe(10_000);
    const queue = [batch('a', 9000), batch('b', 1000), batch('c', 1)];
    expect(names(takeGroup(queue))).toEqual(['a', 'b']);
    expect(names(takeGroup(queue))).toEqual(['c']);
    const over = [batch('d', 6000), batch('e', 4001), batch('f', 10_000)];
    expect(names(takeGroup(over))).toEqual(['d']);
    expect(names(takeGroup(over))).toEqual(['e']);
    // A batch alone is taken whatever its size (the route bounds it).
    expect(names(takeGroup(over))).toEqual(['f']);
  });
});

describe("a group's summary cut back into its batches'", () => {
  const error = { code: 'conflict', path: 'id', message: 'different content' };
  const summary: IngestSummary = {
    accepted: 3,
    duplicates: 2,
    rejected: 1,
    results: [
      { id: 'e1', status: 'accepted' },
      { id: 'e2', status: 'accepted' },
      { id: 'e1', status: 'duplicate' },
      { id: 'e2', status: 'rejected', error },
      { id: 'e3', status: 'accepted' },
      { id: 'e3', status: 'duplicate' },
    ],
  };

  it('gives each batch its own results, in order, and counts them', () => {
    expect(splitSummary(summary, [2, 3, 1])).toEqual([
      { accepted: 2, duplicates: 0, rejected: 0, results: summary.results.slice(0, 2) },
      {
        accepted: 1,
        duplicates: 1,
        rejected: 1,
        results: [
          { id: 'e1', status: 'duplicate' },
          { id: 'e2', status: 'rejected', error },
          { id: 'e3', status: 'accepted' },
        ],
      },
      { accepted: 0, duplicates: 1, rejected: 0, results: [{ id: 'e3', status: 'duplicate' }] },
    ]);
  });

  it('refuses sizes that do not add up to its results', () => {
    expect(() => splitSummary(summary, [2, 3])).toThrow('6 results for 5 inputs');
  });
});
