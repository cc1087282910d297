import { dateTimeFormat, listFormat, numberFormat } from '../lib/intl-cache';
import { currencyExponent, formatMinorUnits, type MinorAmount } from './money';

/** Masks a phone number to its last four digits: '+27821234567' → '•••••••4567'. */
export function maskPhone(phone: string): string {
  const digits = phone.replace(/\D/g, '');
  return `${'•'.repeat(Math.max(0, digits.length - 4))}${digits.slice(-4)}`;
}

export function isoOrNull(epochMs: number | null | undefined): string | null {
  return epochMs === null || epochMs === undefined ? null : new Date(epochMs).toISOString();
}

/**
 * Money for people: integer minor units in the currency's own decimals, e.g. 36121 USD → '$361.21' (en).
 * Intl formats the major units' decimal string exactly (ECMA-402's string numerics), so a sum above
 * 2^53 keeps every digit: '12000000000000000' USD → '$120,000,000,000,000.00'.
 */
export function formatMoney(amount: MinorAmount | bigint, currency: string, locale = 'en'): string {
  const exponent = currencyExponent(currency);
  return numberFormat(locale, {
    style: 'currency',
    currency,
    minimumFractionDigits: exponent,
    maximumFractionDigits: exponent,
  }).format(formatMinorUnits(amount, currency) as Intl.StringNumericLiteral);
}

/**
 * A rate (0..1) as a percentage with one decimal, or an em dash when there is none. One decimal never
 * reads as all or none when it is not: 4,998 of 5,000 is '>99.9%', not '100.0%'; 1 of 5,000 '<0.1%'.
 */
export function formatRate(rate: number | null, locale = 'en'): string {
  if (rate === null) return '—';
  const percent = numberFormat(locale, { style: 'percent', minimumFractionDigits: 1, maximumFractionDigits: 1 });
  if (rate > 0 && rate < 0.0005) return `<${percent.format(0.001)}`;
  if (rate < 1 && rate >= 0.9995) return `>${percent.format(0.999)}`;
  return percent.format(rate);
}

/** A file's size in the reader's locale: '512 B', '1.5 kB', '12.3 MB' (en); '1,5 kB' (de). */
export function formatBytes(bytes: number, locale = 'en'): string {
  // Intl's short byte unit reads '512 byte' in English: bytes keep their symbol.
  if (bytes < 1024) return `${formatCount(bytes, locale)} B`;
  const [value, unit] = bytes < 1024 * 1024 ? [bytes / 1024, 'kilobyte'] : [bytes / 1024 / 1024, 'megabyte'];
  return numberFormat(locale, { style: 'unit', unit, minimumFractionDigits: 1, maximumFractionDigits: 1 }).format(
    value,
  );
}

export function formatCount(value: number, locale = 'en'): string {
  return numberFormat(locale).format(value);
}

/**
 * Seconds as '4m 12s', '1h 03m', '2d 4h' (en); an em dash for null. Digits and units are the
 * reader's, as every other number beside them: '4min 12s', '2j 4h' (fr-FR), '٤ د و١٢ ث' (ar-EG),
 * where English letters read '2d' as nothing French and wrote 'm'/'s' among Arabic words.
 */
export function formatDuration(seconds: number | null, locale = 'en'): string {
  if (seconds === null) return '—';
  const s = Math.max(0, Math.round(seconds));
  const part = (value: number, unit: 'day' | 'hour' | 'minute' | 'second', twoDigits = false) =>
    numberFormat(locale, {
      style: 'unit',
      unit,
      unitDisplay: 'narrow',
      minimumIntegerDigits: twoDigits ? 2 : 1,
    }).format(value);
  const both = (first: string, second: string) =>
    listFormat(locale, { type: 'unit', style: 'narrow' }).format([first, second]);
  if (s < 60) return part(s, 'second');
  if (s < 3600) return both(part(Math.floor(s / 60), 'minute'), part(s % 60, 'second', true));
  if (s < 86_400) return both(part(Math.floor(s / 3600), 'hour'), part(Math.floor((s % 3600) / 60), 'minute', true));
  return both(part(Math.floor(s / 86_400), 'day'), part(Math.floor((s % 86_400) / 3600), 'hour'));
}

/** An instant in the viewer's zone and locale, e.g. '23 Nov 2026, 10:15:00' (en-GB). */
export function formatDateTime(epochMs: number | null, timeZone: string, locale: string): string {
  if (epochMs === null) return '—';
  return dateTimeFormat(locale, {
    timeZone,
    day: 'numeric',
    month: 'short',
    year: 'numeric',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
  }).format(epochMs);
}

/** An instant as day, month and time in the viewer's zone, e.g. '25 Nov, 14:00' (en-GB): for instants a few days away. */
export function formatDayTime(epochMs: number, timeZone: string, locale: string): string {
  return dateTimeFormat(locale, {
    timeZone,
    day: 'numeric',
    month: 'short',
    hour: '2-digit',
    minute: '2-digit',
  }).format(epochMs);
}

/** A wall-clock time 'HH:MM' as the locale writes a time of day beside a date: '06:00 AM' (en-US), '06:00' (en-GB). */
export function formatClockTime(hhmm: string, locale: string): string {
  const [hour, minute] = hhmm.split(':').map(Number);
  return dateTimeFormat(locale, { timeZone: 'UTC', hour: '2-digit', minute: '2-digit' }).format(
    Date.UTC(2000, 0, 1, hour, minute),
  );
}

/** An instant with its zone named, for times set in another zone than the page's: '7 Dec 2026, 06:00 GMT+2' (en-GB). */
export function formatZonedDateTime(epochMs: number, timeZone: string, locale: string): string {
  return dateTimeFormat(locale, {
    timeZone,
    day: 'numeric',
    month: 'short',
    year: 'numeric',
    hour: '2-digit',
    minute: '2-digit',
    timeZoneName: 'short',
  }).format(epochMs);
}
