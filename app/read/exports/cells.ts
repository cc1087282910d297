import { currencyExponent, formatMinorUnits, type MinorAmount } from '../../domain/money';
import { dateInZone } from '../../lib/zoned-time';
import type { Filters } from '../filters';

export const EXPORT_REPORTS = ['payment-requests', 'agents'] as const;
export type ExportReport = (typeof EXPORT_REPORTS)[number];
export const EXPORT_FORMATS = ['csv', 'xlsx'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

export const CONTENT_TYPES: Record<ExportFormat, string> = {
  csv: 'text/csv; charset=utf-8',
  xlsx: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
};

/** A phone for files leaving the app: ASCII stars, then the last four digits ('*******4567'). */
export function maskPhoneForExport(phone: string): string {
  let digits = 0;
  let last4 = '';
  for (let i = phone.length - 1; i >= 0; i--) {
    const code = phone.charCodeAt(i);
    if (code < 48 || code > 57) continue;
    digits += 1;
    if (digits <= 4) last4 = phone[i] + last4;
  }
  return digits > 4 ? STARS[Math.min(digits - 4, STARS.length - 1)]! + last4 : last4;
}

const STARS = Array.from({ length: 32 }, (_, n) => '*'.repeat(n));

/**
 * A rate with 4 decimals ('0.4125'), empty when null (SPEC §4). Rounded as the decimal it is, the
 * way the dashboard's percentages are: toFixed rounds the double, and 3 of 160 (0.01875, a double a
 * hair below) came out '0.0187'.
 */
export function rateCell(rate: number | null): string {
  return rate === null ? '' : RATE_DIGITS.format(rate);
}

const RATE_DIGITS = new Intl.NumberFormat('en-US', {
  minimumFractionDigits: 4,
  maximumFractionDigits: 4,
  useGrouping: false,
});

/**
 * An amount for a spreadsheet cell, in major units: a number while a spreadsheet can show every
 * digit of it, else its exact decimal text. Excel and LibreOffice keep 15 significant digits, so
 * 4,503,599,627,370,497 cents (a safe integer, 16 digits) read '45,035,996,273,704.90', the last
 * cent lost, as did every sum beyond 2^53 before it was text.
 */
export function spreadsheetMoney(amount: MinorAmount, currency: string): number | string {
  // Below 10^15 it has at most 15 digits: no string made for the rows of a large export.
  if (typeof amount === 'number' && (Math.abs(amount) < 1e15 || significantDigits(amount) <= 15)) {
    return amount / 10 ** currencyExponent(currency);
  }
  return formatMinorUnits(amount, currency);
}

function significantDigits(integer: number): number {
  const digits = String(Math.abs(integer)).replace(/0+$/, '');
  return digits.length;
}

/** Seconds as the shortest decimal (ms precision): 95, 95.5. Empty when null. */
export function secondsCell(seconds: number | null): string {
  return seconds === null ? '' : String(Math.round(seconds * 1000) / 1000);
}

/**
 * What and when, safe in a header: payment-requests_2026-11-01_2026-11-30_America-New_York.csv.
 * An open start reads 'start'; an open end is the day of the export.
 */
export function exportFileName(report: ExportReport, format: ExportFormat, filters: Filters, now = Date.now()): string {
  const from = filters.from ?? 'start';
  const to = filters.to ?? dateInZone(now, filters.tz);
  const zone = filters.tz.replace(/\//g, '-').replace(/[^A-Za-z0-9_+-]/g, '');
  return `${report}_${from}_${to}_${zone}.${format}`;
}
