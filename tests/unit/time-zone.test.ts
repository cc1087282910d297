import { describe, expect, it } from 'vitest';
import { isTimeZoneName, timeZoneList } from '../../app/lib/time-zone';

describe('timeZoneList', () => {
  it('lists every zone the runtime knows and UTC, once each, sorted', () => {
    const zones = timeZoneList('UTC');
    expect(zones).toEqual([...new Set([...Intl.supportedValuesOf('timeZone'), 'UTC'])].sort());
    expect(zones.filter((zone) => zone === 'UTC')).toHaveLength(1);
    expect(zones).toContain('Africa/Johannesburg');
  });

  it('adds the zone in use when the runtime lists it under another name', () => {
    expect(isTimeZoneName('US/Eastern')).toBe(true);
    const zones = timeZoneList('US/Eastern');
    expect(zones).toContain('US/Eastern');
    expect(zones).toEqual([...zones].sort());
    expect(timeZoneList('UTC')).not.toContain('US/Eastern');
  });
});
