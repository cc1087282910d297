import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { csvRecord, csvRecordsStrict } from '../../app/lib/csv';
import { isoFormatter, wallClockConverter } from '../../app/lib/zoned-time';
import { exportFileName, maskPhoneForExport, rateCell, secondsCell } from '../../app/read/exports/cells';
import { parseFilters } from '../../app/read/filters';

describe('csvRecord', () => {
  it('copies plain cells and leaves quoting and formula prefixes to csv-stringify', () => {
    expect(csvRecord(['pr_1', 'SO-1001', '361.21', ''])).toBe('pr_1,SO-1001,361.21,\r\n');
    expect(csvRecord(['=SUM(A1)', '+1', '-2', '@me', '\tx', 'a,b', 'say "hi"', 'two\nlines'])).toBe(
      `'=SUM(A1),'+1,'-2,'@me,'\tx,"a,b","say ""hi""","two\nlines"\r\n`,
    );
    expect(csvRecord(['\rstart'])).toBe(`"'\rstart"\r\n`);
  });

  it('gives exactly what csv-stringify gives for any row', () => {
    const cell = fc.string({
      unit: fc.constantFrom('a', 'Z', '1', ' ', ',', '"', '\r', '\n', '\t', '=', '+', '-', '@', 'é', '＝', "'"),
    });
    fc.assert(
      fc.property(fc.array(cell, { minLength: 1, maxLength: 6 }), (row) => {
        expect(csvRecord(row)).toBe(csvRecordsStrict([row]));
      }),
      { numRuns: 2000 },
    );
  });
});

describe('export cells', () => {
  it('masks a phone to its last four digits in ASCII', () => {
    expect(maskPhoneForExport('+27821234567')).toBe('*******4567');
    expect(maskPhoneForExport('123')).toBe('123');
  });

  it('writes rates with four decimals and seconds to the millisecond, empty when null', () => {
    expect(rateCell(0.41254)).toBe('0.4125');
    expect(rateCell(1)).toBe('1.0000');
    // Halves of the fourth decimal round up as decimals, not as the doubles a hair below them.
    expect(rateCell(3 / 160)).toBe('0.0188');
    expect(rateCell(3 / 20_000)).toBe('0.0002');
    expect(rateCell(1 / 3)).toBe('0.3333');
    expect(rateCell(1e-7)).toBe('0.0000');
    expect(rateCell(null)).toBe('');
    expect(secondsCell(95.5)).toBe('95.5');
    expect(secondsCell(120)).toBe('120');
    expect(secondsCell(null)).toBe('');
  });

  it('names files for what and when', () => {
    const filters = parseFilters(new URLSearchParams('from=2026-11-01&to=2026-11-30&tz=America/New_York'), 'UTC');
    expect(exportFileName('payment-requests', 'csv', filters)).toBe(
      'payment-requests_2026-11-01_2026-11-30_America-New_York.csv',
    );
    const open = parseFilters(new URLSearchParams('tz=Asia/Tokyo'), 'UTC');
    expect(exportFileName('agents', 'xlsx', open, Date.parse('2026-11-23T20:00:00Z'))).toBe(
      'agents_start_2026-11-24_Asia-Tokyo.xlsx',
    );
  });
});

describe('zoned timestamps', () => {
  it('formats ISO 8601 with the offset of the zone, across a DST change', () => {
    const ny = isoFormatter('America/New_York');
    expect(ny(Date.parse('2026-11-01T05:59:59.999Z'))).toBe('2026-11-01T01:59:59.999-04:00');
    expect(ny(Date.parse('2026-11-01T06:00:00.000Z'))).toBe('2026-11-01T01:00:00.000-05:00');
    expect(isoFormatter('Africa/Johannesburg')(Date.parse('2026-11-23T08:15:00Z'))).toBe(
      '2026-11-23T10:15:00.000+02:00',
    );
    expect(isoFormatter('Asia/Kathmandu')(Date.parse('2026-11-23T08:15:00Z'))).toBe('2026-11-23T14:00:00.000+05:45');
    expect(isoFormatter('UTC')(0)).toBe('1970-01-01T00:00:00.000+00:00');
  });

  it('agrees with Intl at every minute around both 2026 changes in Europe/Berlin', () => {
    const berlin = isoFormatter('Europe/Berlin');
    const parts = new Intl.DateTimeFormat('en-CA', {
      timeZone: 'Europe/Berlin',
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
    });
    for (const start of [Date.parse('2026-03-29T00:00:00Z'), Date.parse('2026-10-25T00:00:00Z')]) {
      for (let t = start; t < start + 3 * 3_600_000; t += 60_000) {
        const p = Object.fromEntries(parts.formatToParts(t).map((part) => [part.type, part.value]));
        expect(berlin(t).slice(0, 16)).toBe(`${p.year}-${p.month}-${p.day}T${p.hour}:${p.minute}`);
      }
    }
  });

  it('turns instants into spreadsheet wall-clock dates', () => {
    expect(wallClockConverter('America/New_York')(Date.parse('2026-07-01T16:00:00Z')).toISOString()).toBe(
      '2026-07-01T12:00:00.000Z',
    );
  });
});
