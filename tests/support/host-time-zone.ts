import { afterEach, beforeEach } from 'vitest';

/**
 * Host zones a zone's reckoning must not depend on (Date's local methods read `TZ`, and Node applies
 * a change of process.env.TZ at once): both hemispheres, a half-hour and a 45-minute offset, a
 * 30-minute DST shift (Lord Howe) and a midnight one (Santiago).
 */
export const HOST_TIME_ZONES = [
  'UTC',
  'America/New_York',
  'Asia/Kolkata',
  'Australia/Lord_Howe',
  'Pacific/Chatham',
  'America/Santiago',
];

/** Runs the enclosing describe's tests with the process's `TZ` set to `host`, restored after each. */
export function onHostTimeZone(host: string) {
  const saved = process.env.TZ;
  beforeEach(() => {
    process.env.TZ = host;
  });
  afterEach(() => {
    if (saved === undefined) delete process.env.TZ;
    else process.env.TZ = saved;
  });
}
