/** Whether a name is an IANA time zone this runtime knows. */
export function isTimeZoneName(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}
