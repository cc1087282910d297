import { randomBytes, scrypt, timingSafeEqual } from 'node:crypto';
import { passwordHashCostFromEnv } from './env.server';

// OWASP's scrypt parameters: N=2^17 (PASSWORD_HASH_COST=17), r=8, p=1 (memory-hard, ~128 MiB per hash).
const R = 8;
const P = 1;
const KEY_LENGTH = 32;
const MAX_STORED_LOG2_N = 20;

/**
 * At most this many hashes run at once (each on libuv's thread pool, off the event loop, ~128 MiB
 * at N=2^17); up to MAX_WAITING more wait their turn, and beyond that hashing is refused
 * (PasswordHashBusyError, answered 503) rather than queued without bound.
 */
export const MAX_CONCURRENT_HASHES = 2;
export const MAX_WAITING_HASHES = 32;

export class PasswordHashBusyError extends Error {
  constructor() {
    super('Too many password checks at once');
  }
}

let running = 0;
const waiting: (() => void)[] = [];

async function withHashSlot<T>(work: () => Promise<T>): Promise<T> {
  if (running >= MAX_CONCURRENT_HASHES) {
    if (waiting.length >= MAX_WAITING_HASHES) throw new PasswordHashBusyError();
    await new Promise<void>((resolve) => waiting.push(resolve));
  } else {
    running += 1;
  }
  try {
    return await work();
  } finally {
    const next = waiting.shift();
    if (next) next();
    else running -= 1;
  }
}

/** Hashes running or waiting now (for tests and health). */
export function passwordHashLoad(): { running: number; waiting: number } {
  return { running, waiting: waiting.length };
}

function scryptKey(password: string, salt: Buffer, length: number, n: number): Promise<Buffer> {
  return withHashSlot(
    () =>
      new Promise((resolve, reject) => {
        const options = { N: n, r: R, p: P, maxmem: 256 * n * R };
        scrypt(password.normalize('NFKC'), salt, length, options, (error, key) =>
          error ? reject(error) : resolve(key),
        );
      }),
  );
}

/** A new hash at PASSWORD_HASH_COST (log2 of N) unless `cost` is given; the hash records its own N. */
export async function hashPassword(password: string, cost = passwordHashCostFromEnv()): Promise<string> {
  const n = 2 ** cost;
  const salt = randomBytes(16);
  const key = await scryptKey(password, salt, KEY_LENGTH, n);
  return `scrypt$${n}$${R}$${P}$${salt.toString('base64')}$${key.toString('base64')}`;
}

/** Verifies against the N, r and p the hash was made with, so hashes made at another cost keep working. */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const [scheme, n, r, p, salt, key] = stored.split('$');
  if (scheme !== 'scrypt' || !n || !r || !p || !salt || !key) return false;
  const log2n = Math.log2(Number(n));
  // A stored N is trusted only within the bounds we would make ourselves: it sizes the memory.
  if (!Number.isInteger(log2n) || log2n < 1 || log2n > MAX_STORED_LOG2_N || r !== String(R) || p !== String(P))
    return false;
  const expected = Buffer.from(key, 'base64');
  if (expected.length === 0) return false;
  const actual = await scryptKey(password, Buffer.from(salt, 'base64'), expected.length, Number(n));
  return timingSafeEqual(actual, expected);
}

/** A hash to verify against when the account does not exist, so timing does not reveal which emails exist. */
let dummyHash: Promise<string> | undefined;
export function dummyPasswordHash(): Promise<string> {
  dummyHash ??= hashPassword(randomBytes(16).toString('hex')).catch((error) => {
    dummyHash = undefined;
    throw error;
  });
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
