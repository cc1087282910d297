import { z } from 'zod';
import { CHANNELS, STATUSES } from '../domain/lifecycle';
import { isCurrencyCode } from '../domain/money';
import { isTimeZoneName } from '../lib/time-zone';
import { firstIssue } from '../lib/zod-issues';
import { zonedInstant } from '../lib/zoned-time';

const DATE = /^\d{4}-\d{2}-\d{2}$/;
const ID = /^[A-Za-z0-9_.:-]{1,64}$/;

const calendarDate = z
  .string()
  .regex(DATE, 'must be a date YYYY-MM-DD')
  .refine((value) => {
    const [y, m, d] = value.split('-').map(Number) as [number, number, number];
    const date = new Date(Date.UTC(y, m - 1, d));
    return date.getUTCFullYear() === y && date.getUTCMonth() === m - 1 && date.getUTCDate() === d;
  }, 'is not a calendar date');

const list = <T extends z.ZodType>(item: T) => z.array(item).default([]);

/** The filters every view, API and export shares (SPEC §3). */
export const filterSchema = z
  .object({
    from: calendarDate.optional(),
    to: calendarDate.optional(),
    tz: z.string().refine(isTimeZoneName, 'must be an IANA time zone name').optional(),
    team: list(z.string().regex(ID, 'must be a team id')),
    agent: list(z.string().regex(ID, 'must be an agent id')),
    channel: list(z.enum(CHANNELS)),
    currency: list(z.string().refine(isCurrencyCode, 'must be an ISO 4217 currency code')),
    status: list(z.enum(STATUSES)),
    q: z.string().trim().max(100).optional(),
  })
  .refine((f) => !f.from || !f.to || f.from <= f.to, { message: 'must not be after to', path: ['from'] });

export type FilterInput = z.input<typeof filterSchema>;
export type Filters = z.infer<typeof filterSchema> & { tz: string };

const REPEATABLE = ['team', 'agent', 'channel', 'currency', 'status'] as const;

export class FilterError extends Error {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(`${field}: ${message}`);
  }
}

/** Parses the shared filters from a query string; the time zone defaults to the organisation's. */
export function parseFilters(params: URLSearchParams, defaultTimeZone: string): Filters {
  const raw: Record<string, unknown> = {};
  for (const key of ['from', 'to', 'tz', 'q'] as const) {
    const values = params.getAll(key).filter((value) => value !== '');
    // Two ranges or zones at once: refused, not one of them taken silently (the numbers would not be the asker's).
    if (values.length > 1) throw new FilterError(key, 'is given more than once');
    if (values.length === 1) raw[key] = values[0];
  }
  for (const key of REPEATABLE) {
    // The filter forms show a list as 'USD, EUR' (and people type it so): each item trimmed; currency
    // codes in either case ('usd').
    const values = params
      .getAll(key)
      .flatMap((value) => value.split(','))
      .map((value) => (key === 'currency' ? value.trim().toUpperCase() : value.trim()))
      .filter(Boolean);
    if (values.length > 0) raw[key] = values;
  }
  const parsed = filterSchema.safeParse(raw);
  if (!parsed.success) {
    const { field, message } = firstIssue(parsed.error, { fallback: 'filters', depth: 'field' });
    throw new FilterError(field, message);
  }
  return { ...parsed.data, tz: parsed.data.tz ?? defaultTimeZone };
}

/** Epoch ms of the start of a YYYY-MM-DD day in a zone (01:00 where a DST change skips midnight), whatever the host's zone. */
export function startOfDayInZone(date: string, timeZone: string): number {
  const [y, m, d] = date.split('-').map(Number) as [number, number, number];
  return zonedInstant(timeZone, y, m, d);
}

/** The range [start, end) of the filters' from/to days in their zone; null ends are open. */
export function filterRange(filters: Pick<Filters, 'from' | 'to' | 'tz'>): {
  start: number | null;
  end: number | null;
} {
  const start = filters.from ? startOfDayInZone(filters.from, filters.tz) : null;
  let end: number | null = null;
  if (filters.to) {
    const [y, m, d] = filters.to.split('-').map(Number) as [number, number, number];
    end = zonedInstant(filters.tz, y, m, d + 1);
  }
  return { start, end };
}

/** Filters back to a query string (for links that keep the current view). */
export function filtersToSearchParams(filters: Partial<Filters>): URLSearchParams {
  const params = new URLSearchParams();
  for (const key of ['from', 'to', 'tz', 'q'] as const) {
    const value = filters[key];
    if (value) params.set(key, value);
  }
  for (const key of REPEATABLE) for (const value of filters[key] ?? []) params.append(key, value);
  return params;
}
