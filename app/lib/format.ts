/** Masks a phone number to its last four digits: '+27821234567' → '•••••••4567'. */
export function maskPhone(phone: string): string {
  const digits = phone.replace(/\D/g, '');
  return `${'•'.repeat(Math.max(0, digits.length - 4))}${digits.slice(-4)}`;
}

export function isoOrNull(epochMs: number | null | undefined): string | null {
  return epochMs === null || epochMs === undefined ? null : new Date(epochMs).toISOString();
}
