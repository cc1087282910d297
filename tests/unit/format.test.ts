import { describe, expect, it } from 'vitest';
import {
  formatBytes,
  formatClockTime,
  formatCount,
  formatDuration,
  formatMoney,
  formatRate,
} from '../../app/domain/format';

describe('formatRate', () => {
  it('shows one decimal in the reader’s locale, and an em dash when there is no rate', () => {
    expect(formatRate(0.4125, 'en')).toBe('41.3%');
    expect(formatRate(0.4125, 'de')).toBe('41,3\u00a0%');
    expect(formatRate(null, 'en')).toBe('—');
    expect(formatRate(0, 'en')).toBe('0.0%');
    expect(formatRate(1, 'en')).toBe('100.0%');
  });

  it('never rounds a rate that is not all or none to 100.0% or 0.0%', () => {
    expect(formatRate(4_998 / 5_000, 'en')).toBe('>99.9%');
    expect(formatRate(1 / 5_000, 'en')).toBe('<0.1%');
    expect(formatRate(1 / 5_000, 'de')).toBe('<0,1\u00a0%');
    // Where one decimal already tells them apart, the figure as it is.
    expect(formatRate(0.9994, 'en')).toBe('99.9%');
    expect(formatRate(0.0005, 'en')).toBe('0.1%');
  });
});

// Intl puts a no-break space (U+00A0) between a figure and its unit where the locale spaces them.
describe('money and counts in the reader’s locale', () => {
  it('formats money in the currency’s decimals and the locale’s order', () => {
    expect(formatMoney(123456, 'EUR', 'de')).toBe('1.234,56\u00a0€');
    expect(formatMoney(123456, 'EUR', 'en')).toBe('€1,234.56');
    expect(formatMoney(1234, 'JPY', 'de')).toBe('1.234\u00a0¥');
    expect(formatMoney(1234567, 'KWD', 'en')).toBe('KWD\u00a01,234.567');
    expect(formatCount(12_345, 'de')).toBe('12.345');
    expect(formatCount(12_345, 'en')).toBe('12,345');
  });

  it('formats a file size in the locale, with its unit', () => {
    expect(formatBytes(512, 'en')).toBe('512 B');
    expect(formatBytes(1536, 'en')).toBe('1.5 kB');
    expect(formatBytes(1536, 'de')).toBe('1,5 kB');
    expect(formatBytes(12.3 * 1024 * 1024, 'en')).toBe('12.3 MB');
  });
});

describe('formatClockTime', () => {
  it('writes a schedule’s run time as the locale writes a time beside a date', () => {
    expect(formatClockTime('06:00', 'en-US')).toBe('06:00 AM');
    expect(formatClockTime('18:30', 'en-US')).toBe('06:30 PM');
    expect(formatClockTime('06:00', 'en-GB')).toBe('06:00');
    expect(formatClockTime('18:30', 'de-DE')).toBe('18:30');
  });
});

describe('formatDuration', () => {
  it('writes the reader’s digits and units, as every other number on the page', () => {
    expect(formatDuration(252)).toBe('4m 12s');
    expect(formatDuration(3780)).toBe('1h 03m');
    expect(formatDuration(187_200)).toBe('2d 4h');
    expect(formatDuration(42)).toBe('42s');
    expect(formatDuration(null, 'ar-EG')).toBe('—');
    // Session 38 gave Arabic digits English letters: '١m ٥٩s' among Arabic words; a French reader got '2d 4h'.
    expect(formatDuration(119, 'ar-EG')).toBe('١ د و٥٩ ث');
    expect(formatDuration(3780, 'ar-EG')).toBe('١ س و٠٣ د');
    expect(formatDuration(187_200, 'ar-EG')).toBe('٢ ي و٤ س');
    expect(formatDuration(252, 'fr-FR')).toBe('4min 12s');
    expect(formatDuration(3780, 'fr-FR')).toBe('1h 03min');
    expect(formatDuration(187_200, 'fr-FR')).toBe('2j 4h');
    expect(formatDuration(42, 'hi-IN-u-nu-deva')).toBe('४२ से');
  });
});
