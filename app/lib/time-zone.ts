/** Whether a name is an IANA time zone this runtime knows. */
export function isTimeZoneName(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

let knownZones: readonly string[] | undefined;

/** The choices of a time-zone select: every zone this runtime knows, UTC and `current` included, sorted. */
export function timeZoneList(current: string): readonly string[] {
  knownZones ??= [...new Set([...Intl.supportedValuesOf('timeZone'), 'UTC'])].sort();
  return knownZones.includes(current) ? knownZones : [...knownZones, current].sort();
}
