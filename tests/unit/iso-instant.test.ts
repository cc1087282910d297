import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseRfc3339 } from '../../app/domain/event-schema';
import { canonicalIsoInstant } from '../../app/lib/iso-instant';

const pad = (value: number, width: number) => String(value).padStart(width, '0');
/** Texts of toISOString's layout with fields in and out of range (month 13, 31 April, hour 24, second 60...). */
const isoLayout = fc
  .tuple(
    fc.integer({ min: 0, max: 9999 }),
    fc.integer({ min: 0, max: 13 }),
    fc.integer({ min: 0, max: 32 }),
    fc.integer({ min: 0, max: 24 }),
    fc.integer({ min: 0, max: 60 }),
    fc.integer({ min: 0, max: 60 }),
    fc.integer({ min: 0, max: 999 }),
  )
  .map(
    ([year, month, day, hour, minute, second, ms]) =>
      `${pad(year, 4)}-${pad(month, 2)}-${pad(day, 2)}T${pad(hour, 2)}:${pad(minute, 2)}:${pad(second, 2)}.${pad(ms, 3)}Z`,
  );
const FIRST = Date.UTC(100, 0, 1);
const LAST = Date.UTC(9999, 11, 31, 23, 59, 59, 999);

describe('canonicalIsoInstant', () => {
  it('reads every instant of years 100-9999 back from toISOString', () => {
    fc.assert(
      fc.property(fc.integer({ min: FIRST, max: LAST }), (instant) => {
        expect(canonicalIsoInstant(new Date(instant).toISOString())).toBe(instant);
      }),
      { numRuns: 2000 },
    );
  });

  it('gives an instant only for the text toISOString writes for it, and then the one parseRfc3339 gives', () => {
    let read = 0;
    fc.assert(
      fc.property(isoLayout, (text) => {
        const instant = canonicalIsoInstant(text);
        if (instant === null) return;
        read += 1;
        expect(new Date(instant).toISOString()).toBe(text);
        expect(parseRfc3339(text)).toBe(instant);
      }),
      { numRuns: 3000 },
    );
    // The generator is not only out-of-range fields.
    expect(read).toBeGreaterThan(1000);
  });

  it.each([
    ['2026-11-23T08:15:00.000Z', 1_795_421_700_000],
    ['2024-02-29T00:00:00.000Z', 1_709_164_800_000],
    ['2000-02-29T12:00:00.001Z', 951_825_600_001],
    ['2026-12-31T23:59:59.999Z', 1_798_761_599_999],
    ['0100-01-01T00:00:00.000Z', FIRST],
  ])('%s -> %i', (text, instant) => {
    expect(canonicalIsoInstant(text)).toBe(instant);
  });

  it.each([
    '2026-02-29T00:00:00.000Z', // not a leap year
    '1900-02-29T00:00:00.000Z', // a century
    '2026-04-31T00:00:00.000Z',
    '2026-13-01T00:00:00.000Z',
    '2026-00-10T00:00:00.000Z',
    '2026-11-00T00:00:00.000Z',
    '2026-11-23T24:00:00.000Z',
    '2026-11-23T10:60:00.000Z',
    '2026-11-23T23:59:60.000Z', // a leap second: the general reading decides
    '0099-12-31T00:00:00.000Z', // Date.UTC would read 1999
    '2026-11-23t08:15:00.000Z',
    '2026-11-23T08:15:00.000z',
    '2026-11-23T08:15:00Z',
    '2026-11-23T08:15:00.00Z',
    '2026-11-23T08:15:00.000+00:00',
    '2026-11-23 08:15:00.000Z',
    '2026-1a-23T08:15:00.000Z',
    '+02026-11-23T08:15:00.000Z',
    '２026-11-23T08:15:00.000Z',
    '',
  ])('%j -> null', (text) => {
    expect(canonicalIsoInstant(text)).toBeNull();
  });
});
