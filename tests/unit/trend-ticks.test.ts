import { describe, expect, it } from 'vitest';
import { evenTicks } from '../../app/components/trend-chart';

const days = Array.from({ length: 7 }, (_, i) => new Date(Date.UTC(2026, 10, 26 + i)).toISOString());
const hours = Array.from({ length: 24 }, (_, i) => `2026-12-02T${String(i).padStart(2, '0')}:00:00.000Z`);

describe('evenTicks', () => {
  it('labels every day of a week on a wide chart, every other day on a phone', () => {
    expect(evenTicks(days, 'day', 'UTC')).toEqual(days);
    expect(evenTicks(days, 'day', 'UTC', 4)).toEqual([days[0], days[2], days[4], days[6]]);
  });

  it('labels a day of hours every 2 hours when wide and every 6 on a phone, on the hour in the zone', () => {
    expect(evenTicks(hours, 'hour', 'UTC')).toEqual(hours.filter((_, i) => i % 2 === 0));
    expect(evenTicks(hours, 'hour', 'UTC', 4)).toEqual([hours[0], hours[6], hours[12], hours[18]]);
    // Tokyo is UTC+9: 03:00 UTC is local noon.
    expect(evenTicks(hours, 'hour', 'Asia/Tokyo', 4)).toEqual([hours[3], hours[9], hours[15], hours[21]]);
  });
});
