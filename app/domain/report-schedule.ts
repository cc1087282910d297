import { TZDate } from '@date-fns/tz';

export const CADENCES = ['daily', 'weekly', 'monthly'] as const;
export type Cadence = (typeof CADENCES)[number];

export const CADENCE_LABELS: Record<Cadence, string> = {
  daily: 'Daily: the previous day',
  weekly: 'Weekly on Monday: the previous ISO week',
  monthly: 'Monthly on the 1st: the previous month',
};

export interface ScheduleTiming {
  cadence: Cadence;
  /** Local time of day in `timezone`, 'HH:MM'. */
  runAt: string;
  timezone: string;
}

export const RUN_AT = /^([01]\d|2[0-3]):([0-5]\d)$/;

const DAY = 86_400_000;
const pad2 = (n: number) => String(n).padStart(2, '0');

/** A calendar date as days since 1970-01-01 and back: zone-free arithmetic on dates. */
const dayNumber = (y: number, m: number, d: number) => Math.floor(Date.UTC(y, m, d) / DAY);
function dateOfDay(day: number): string {
  const date = new Date(day * DAY);
  return `${date.getUTCFullYear()}-${pad2(date.getUTCMonth() + 1)}-${pad2(date.getUTCDate())}`;
}

function runsOn(cadence: Cadence, day: number): boolean {
  const date = new Date(day * DAY);
  if (cadence === 'weekly') return date.getUTCDay() === 1;
  if (cadence === 'monthly') return date.getUTCDate() === 1;
  return true;
}

/**
 * The first run strictly after `after`: `runAt` local time in the zone on the next day that
 * qualifies (any day, a Monday, the 1st). Built from the local calendar, never by adding 24 hours,
 * so runs stay at the same wall-clock time across DST changes. A time that a spring-forward skips
 * runs at the first instant after the gap, as TZDate resolves it.
 */
export function nextRunAt(timing: ScheduleTiming, after: number): number {
  const match = RUN_AT.exec(timing.runAt);
  if (!match) throw new Error(`Invalid run time ${timing.runAt}`);
  const hours = Number(match[1]);
  const minutes = Number(match[2]);
  const local = new TZDate(after, timing.timezone);
  const today = dayNumber(local.getFullYear(), local.getMonth(), local.getDate());
  for (let day = today; day < today + 40; day++) {
    if (!runsOn(timing.cadence, day)) continue;
    const date = new Date(day * DAY);
    const at = new TZDate(
      date.getUTCFullYear(),
      date.getUTCMonth(),
      date.getUTCDate(),
      hours,
      minutes,
      timing.timezone,
    ).getTime();
    if (at > after) return at;
  }
  throw new Error('No run within 40 days');
}

/**
 * The range a run reports on (SPEC §3 from/to, inclusive, in the zone): the day, ISO week
 * (Monday to Sunday) or month before the local date of the run.
 */
export function rangeForRun(cadence: Cadence, runAt: number, timeZone: string): { from: string; to: string } {
  const local = new TZDate(runAt, timeZone);
  const y = local.getFullYear();
  const m = local.getMonth();
  const today = dayNumber(y, m, local.getDate());
  switch (cadence) {
    case 'daily':
      return { from: dateOfDay(today - 1), to: dateOfDay(today - 1) };
    case 'weekly': {
      const monday = today - ((new Date(today * DAY).getUTCDay() + 6) % 7);
      return { from: dateOfDay(monday - 7), to: dateOfDay(monday - 1) };
    }
    case 'monthly':
      return { from: dateOfDay(dayNumber(y, m - 1, 1)), to: dateOfDay(dayNumber(y, m, 1) - 1) };
  }
}
