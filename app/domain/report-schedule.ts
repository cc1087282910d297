import { dateOfDay, dayInZone, dayNumber, dayParts, zonedInstant } from '../lib/zoned-time';

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

function runsOn(cadence: Cadence, day: number): boolean {
  if (cadence === 'weekly') return dayParts(day).weekday === 1;
  if (cadence === 'monthly') return dayParts(day).day === 1;
  return true;
}

/**
 * The first run strictly after `after`: `runAt` local time in the zone on the next day that
 * qualifies (any day, a Monday, the 1st). Built from the local calendar, never by adding 24 hours,
 * so runs stay at the same wall-clock time across DST changes. A time that a spring-forward skips
 * runs at the first instant after the gap (02:30 on a day that jumps from 02:00 to 03:00 runs at
 * 03:00); a time a fall-back repeats runs once, at its first occurrence. Reckoned from the zone's
 * offsets alone (zonedInstant), so the host's own time zone (`TZ`) never changes a run.
 */
export function nextRunAt(timing: ScheduleTiming, after: number): number {
  const match = RUN_AT.exec(timing.runAt);
  if (!match) throw new Error(`Invalid run time ${timing.runAt}`);
  const hours = Number(match[1]);
  const minutes = Number(match[2]);
  const today = dayInZone(after, timing.timezone);
  for (let day = today; day < today + 40; day++) {
    if (!runsOn(timing.cadence, day)) continue;
    const { year, month, day: date } = dayParts(day);
    const at = zonedInstant(timing.timezone, year, month, date, hours, minutes);
    if (at > after) return at;
  }
  throw new Error('No run within 40 days');
}

/**
 * The range a run reports on (SPEC §3 from/to, inclusive, in the zone): the day, ISO week
 * (Monday to Sunday) or month before the local date of the run.
 */
export function rangeForRun(cadence: Cadence, runAt: number, timeZone: string): { from: string; to: string } {
  const today = dayInZone(runAt, timeZone);
  const { year, month, weekday } = dayParts(today);
  switch (cadence) {
    case 'daily':
      return { from: dateOfDay(today - 1), to: dateOfDay(today - 1) };
    case 'weekly': {
      const monday = today - ((weekday + 6) % 7);
      return { from: dateOfDay(monday - 7), to: dateOfDay(monday - 1) };
    }
    case 'monthly':
      return { from: dateOfDay(dayNumber(year, month - 1, 1)), to: dateOfDay(dayNumber(year, month, 1) - 1) };
  }
}
