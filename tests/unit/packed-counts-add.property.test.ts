import Database from 'better-sqlite3';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { addPacked, addPackedTexts, PACKED_COLUMNS, packCounts, registerPackedCounts } from '../../db/packed-counts';

// Property: counts_add (which merges two texts as packCounts writes them, copying the counts only one
// of them has) gives exactly what unpacking both, adding and packing again gives, and the same error
// when that throws: for packed texts, and for texts packCounts would not write (out of order, a count
// twice, "A1", "A0", leading zeros, more digits than a safe integer, letters that are no count,
// a lone "-").

/** The plain definition: unpack both, add, pack (or its error). */
function reference(a: unknown, b: unknown): string {
  const sums = new Array<number>(PACKED_COLUMNS.length).fill(0);
  if (typeof a === 'string') addPacked(a, sums);
  if (typeof b === 'string') addPacked(b, sums);
  return packCounts(sums);
}

function outcome(run: () => unknown): { value: unknown } | { error: string } {
  try {
    return { value: run() };
  } catch (error) {
    return { error: String(error) };
  }
}

const countArb = fc.oneof(
  { weight: 6, arbitrary: fc.constant(0) },
  { weight: 3, arbitrary: fc.constantFrom(1, -1, 2, -2) },
  { weight: 2, arbitrary: fc.integer({ min: -5_000, max: 5_000 }) },
  // Around 15 digits, and past a safe integer's.
  {
    weight: 1,
    arbitrary: fc.constantFrom(999_999_999_999_999, -999_999_999_999_999, 1e15, 2 ** 53 - 1, -(2 ** 53 - 1)),
  },
);
const packedArb = fc
  .array(countArb, { minLength: PACKED_COLUMNS.length, maxLength: PACKED_COLUMNS.length })
  .map(packCounts);
const LETTERS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
// Texts packCounts would not write: counts in order or not, twice, spelt with a leading zero, "1",
// "0", a "-" alone, or a letter past the counts'.
const spelledArb = fc
  .tuple(
    fc.array(
      fc.record({
        place: fc.oneof(
          { weight: 19, arbitrary: fc.integer({ min: 0, max: PACKED_COLUMNS.length - 1 }) },
          { weight: 1, arbitrary: fc.integer({ min: PACKED_COLUMNS.length, max: LETTERS.length - 1 }) },
        ),
        value: countArb.filter((value) => value !== 0),
        spelling: fc.oneof(
          { weight: 12, arbitrary: fc.constant('packed') },
          { weight: 1, arbitrary: fc.constantFrom('zero first', 'one written', 'zero', 'lone minus') },
        ),
      }),
      { maxLength: 8 },
    ),
    fc.boolean(),
  )
  .map(([counts, sorted]) =>
    (sorted ? [...counts].sort((x, y) => x.place - y.place) : counts)
      .map(({ place, value, spelling }) => {
        const letter = LETTERS[place]!;
        if (spelling === 'zero first') return `${letter}${value < 0 ? `-0${-value}` : `0${value}`}`;
        if (spelling === 'zero') return `${letter}0`;
        if (spelling === 'lone minus') return `${letter}-`;
        if (spelling === 'one written' || value !== 1) return `${letter}${value}`;
        return letter;
      })
      .join(''),
  );
const pieceArb = fc.oneof(
  fc.constantFrom('A', 'B', 'C', 'o', 'p', 'z', '-', '0', '1', '01', '-0', '-1', 'A1', 'A0', 'B-', '9007199254740993'),
  fc.stringMatching(/^[A-Dn-q0-9-]{1,6}$/),
);
const textArb: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 8, arbitrary: packedArb },
  { weight: 3, arbitrary: fc.tuple(packedArb, pieceArb, packedArb).map(([x, piece, y]) => `${x}${piece}${y}`) },
  { weight: 2, arbitrary: fc.tuple(packedArb, packedArb).map(([x, y]) => `${y}${x}`) },
  { weight: 6, arbitrary: spelledArb },
  { weight: 1, arbitrary: fc.constantFrom(null, '', 7, 'A\u00e9') },
);

describe('counts_add', () => {
  const sqlite = new Database(':memory:');
  registerPackedCounts(sqlite);
  const countsAdd = sqlite.prepare('SELECT counts_add(?, ?)').pluck();
  afterAll(() => sqlite.close());

  it('adds as unpacking, adding and packing again does, texts packCounts would not write too', () => {
    fc.assert(
      fc.property(textArb, textArb, (a, b) => {
        const expected = outcome(() => reference(a, b));
        expect(outcome(() => countsAdd.get(a, b))).toStrictEqual(expected);
        if (typeof a === 'string' && typeof b === 'string') {
          const merged = addPackedTexts(a, b);
          if (merged !== null) expect({ value: merged }).toStrictEqual(expected);
        }
      }),
      { numRuns: 3000, seed: 14 },
    );
  });

  it('merges packed texts without unpacking them', () => {
    expect(addPackedTexts('A12B3E', 'A-12CE-1p7')).toBe('B3Cp7');
    expect(addPackedTexts('', '')).toBe('');
    expect(addPackedTexts('A1', 'B')).toBeNull();
    expect(addPackedTexts('BA', '')).toBeNull();
  });
});
