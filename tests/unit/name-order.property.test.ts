import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { byNameThenId, firstByNameThenId } from '../../app/lib/name-order';

const named = fc.record({
  // Few distinct names, so that ties (decided by the id) and accents and digits meet often.
  name: fc.constantFrom('Ana', 'ana', 'Ána', 'Agent 9', 'Agent 10', 'Émile', 'emile', 'Zoë', 'zoe', ''),
  id: fc.string({ minLength: 1, maxLength: 3 }),
});

describe('firstByNameThenId', () => {
  it('keeps the first count of a full sort, in its order', () => {
    fc.assert(
      fc.property(fc.array(named, { maxLength: 60 }), fc.integer({ min: 0, max: 70 }), (items, count) => {
        const sorted = [...items].sort(byNameThenId);
        expect(firstByNameThenId(items, count)).toEqual(sorted.slice(0, count));
      }),
      { numRuns: 500 },
    );
  });

  it('orders by name as people read it, then by id', () => {
    const items = [
      { id: 'c', name: 'Agent 10' },
      { id: 'b', name: 'Agent 9' },
      { id: 'a', name: 'Agent 9' },
      { id: 'd', name: 'Émile' },
      { id: 'e', name: 'Bea' },
    ];
    expect(firstByNameThenId(items, 3).map((item) => item.id)).toEqual(['a', 'b', 'c']);
    expect(firstByNameThenId(items, 0)).toEqual([]);
  });
});
