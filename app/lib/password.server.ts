import { randomBytes, scryptSync, timingSafeEqual } from 'node:crypto';

// OWASP's scrypt parameters: N=2^17, r=8, p=1 (memory-hard, ~128 MiB per hash).
const N = 2 ** 17;
const R = 8;
const P = 1;
const KEY_LENGTH = 32;
const MAXMEM = 256 * 1024 * 1024;

export function hashPassword(password: string): string {
  const salt = randomBytes(16);
  const key = scryptSync(password.normalize('NFKC'), salt, KEY_LENGTH, { N, r: R, p: P, maxmem: MAXMEM });
  return `scrypt$${N}$${R}$${P}$${salt.toString('base64')}$${key.toString('base64')}`;
}

export function verifyPassword(password: string, stored: string): boolean {
  const [scheme, n, r, p, salt, key] = stored.split('$');
  if (scheme !== 'scrypt' || !n || !r || !p || !salt || !key) return false;
  const expected = Buffer.from(key, 'base64');
  const actual = scryptSync(password.normalize('NFKC'), Buffer.from(salt, 'base64'), expected.length, {
    N: Number(n),
    r: Number(r),
    p: Number(p),
    maxmem: MAXMEM,
  });
  return timingSafeEqual(actual, expected);
}

/** A hash to verify against when the account does not exist, so timing does not reveal which emails exist. */
let dummyHash: string | undefined;
export function dummyPasswordHash(): string {
  dummyHash ??= hashPassword(randomBytes(16).toString('hex'));
  return dummyHash;
}

export const MIN_PASSWORD_LENGTH = 12;
export const MAX_PASSWORD_LENGTH = 256;

/**
 * The rules for a password a person chooses (NIST SP 800-63B: length, no composition rules),
 * counted in characters after the same normalisation hashing applies. Null when it is acceptable.
 */
export function newPasswordProblem(password: string, email: string | null): string | null {
  const length = [...password.normalize('NFKC')].length;
  if (length < MIN_PASSWORD_LENGTH) return `Use at least ${MIN_PASSWORD_LENGTH} characters`;
  if (length > MAX_PASSWORD_LENGTH) return `Use at most ${MAX_PASSWORD_LENGTH} characters`;
  if (email && password.trim().toLowerCase() === email.toLowerCase()) return 'Do not use your email address';
  return null;
}

/** How long an admin's temporary password (invite or reset) works: 72 hours from when it is issued. */
export const TEMPORARY_PASSWORD_TTL_MS = 72 * 60 * 60 * 1000;

export const TEMPORARY_PASSWORD_EXPIRED_MESSAGE =
  'Your temporary password has expired. Ask an administrator for a new one.';

/** Whether the person's password is an admin's temporary one past its expiry (at exactly the expiry it no longer works). */
export function isTemporaryPasswordExpired(
  user: { mustChangePassword: boolean; temporaryPasswordExpiresAt: number | null },
  now: number,
): boolean {
  return user.mustChangePassword && user.temporaryPasswordExpiresAt !== null && now >= user.temporaryPasswordExpiresAt;
}
