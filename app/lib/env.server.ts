import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { isTimeZoneName } from './time-zone';

const ttlSeconds = (fallback: number) => z.coerce.number().int().min(60).max(1800).default(fallback);

/** The SQLite file when DATABASE_URL is not set: the one place this default is written. */
export const DEFAULT_DATABASE_URL = 'data/app.db';
const POSTGRES_URL = /^postgres(ql)?:\/\//i;
/** `file:tmp/a.db` and `file:///srv/a.db` (SQLite's and other tools' way of writing a file) are the file. */
function fileOfUrl(url: string): string | null {
  if (!/^file:/i.test(url)) return url;
  if (!/^file:\/\//i.test(url)) return url.slice('file:'.length) || null;
  try {
    return fileURLToPath(url);
  } catch {
    return null; // file://host/…: not a file here
  }
}

const databaseUrl = z
  .string()
  .min(1)
  .transform((url) => (POSTGRES_URL.test(url) ? url : fileOfUrl(url)))
  // Any other scheme would be taken for a file name (`mysql://x` makes a folder "mysql:").
  .refine((url): url is string => url !== null && (POSTGRES_URL.test(url) || !/^[a-z][a-z0-9+.-]+:/i.test(url)), {
    message: 'is an SQLite file path (or file: URL) or a postgres:// URL',
  })
  .default(DEFAULT_DATABASE_URL);
/** log2 of scrypt's N for new password hashes: 17 in production (OWASP), lower only to make tests fast. */
const passwordHashCost = z.coerce.number().int().min(10).max(20).default(17);
/**
 * The most memory, in MB, SQLite's page cache of one connection takes (issue 14). The server's one
 * connection does every write: at 1M requests (payment_requests and its indexes ~620 MB) 512 against
 * 64 took ingest from ~8,800 to ~11,900 events/s and 10,000 late events from ~6,800 to ~11,600/s
 * (docs/performance.md, session 10). Pages are only held once read, so a small database stays small.
 */
const sqliteCacheMb = z.coerce.number().int().min(2).max(65_536).default(512);

const schema = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  DATABASE_URL: databaseUrl,
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  SESSION_SECRET: z.string().min(32, 'must be at least 32 characters').optional(),
  WEBHOOK_SECRET: z
    .string()
    .regex(/^whsec_[A-Za-z0-9+/=]{16,}$/, 'must have the form whsec_<base64>')
    .optional(),
  LINK_TTL_UNOPENED: ttlSeconds(300),
  LINK_TTL_OPENED: ttlSeconds(900),
  ORG_TIMEZONE: z.string().default('UTC').refine(isTimeZoneName, 'must be an IANA time zone name'),
  EXPIRY_SWEEP_MS: z.coerce.number().int().min(250).max(10_000).default(2000),
  /** Reverse proxies in front of the app that append the client's address to X-Forwarded-For. */
  TRUSTED_PROXY_HOPS: z.coerce.number().int().min(0).max(5).default(0),
  /** The origin of every link sent to a customer (SPEC §7): never taken from a request's headers. */
  PUBLIC_URL: z
    .string()
    .refine(isHttpOrigin, 'must be an http(s) origin such as https://desk.example.com (no path)')
    .transform((value) => new URL(value).origin)
    .optional(),
  /** A request's headers and body must have arrived within this (the server answers 408). */
  REQUEST_TIMEOUT_MS: z.coerce.number().int().min(1000).max(300_000).default(30_000),
  /** Live-update (SSE) connections open at once, per user and in all. */
  LIVE_STREAMS_PER_USER: z.coerce.number().int().min(1).max(1000).default(10),
  LIVE_STREAMS_TOTAL: z.coerce.number().int().min(1).max(100_000).default(1000),
  /**
   * The least an export download must take in such a window (or on average over its life), else it
   * is ended and its cursor freed (app/read/exports/reader-progress.server.ts). Shorter for tests.
   */
  EXPORT_PROGRESS_WINDOW_MS: z.coerce.number().int().min(1000).max(600_000).default(60_000),
  EXPORT_PROGRESS_MIN_BYTES: z.coerce
    .number()
    .int()
    .min(1024)
    .max(64 * 1024 * 1024)
    .default(32 * 1024),
  /** How long a download waits for one of the 3 export cursors (PostgreSQL) before its 503. */
  EXPORT_SLOT_WAIT_MS: z.coerce.number().int().min(0).max(60_000).default(3_000),
  /** Threads for one large CSV export; unset: the cores, at most 4; 0 keeps exports in the server's thread. */
  EXPORT_WORKERS: z.coerce.number().int().min(0).max(64).optional(),
  /** The built export worker, when it is not beside the server build (tests, benches). */
  EXPORT_WORKER_FILE: z.string().min(1).optional(),
  XLSX_WORKER_FILE: z.string().min(1).optional(),
  /** Threads that read, check and mask event bodies before they are stored; unset: the cores but one (1 to 4); 0: the server's thread. */
  INGEST_WORKERS: z.coerce.number().int().min(0).max(64).optional(),
  /** The built ingest preparation worker, when it is not beside the server build. */
  INGEST_WORKER_FILE: z.string().min(1).optional(),
  /** On SQLite, API batches are stored by a writer thread (its own connection); 0: in the server's thread. */
  INGEST_WRITER_THREAD: z.enum(['0', '1']).optional(),
  /** How often housekeeping deletes what is past (app/write/housekeeping.server.ts), on the lease's holder. */
  HOUSEKEEPING_MS: z.coerce.number().int().min(1000).max(3_600_000).default(60_000),
  /** Rejected events (the ingestion-health page) are kept this many days, and at most this many of them. */
  REJECTED_EVENTS_RETENTION_DAYS: z.coerce.number().int().min(1).max(3650).default(30),
  REJECTED_EVENTS_KEPT: z.coerce.number().int().min(1000).max(100_000_000).default(100_000),
  PASSWORD_HASH_COST: passwordHashCost,
  SQLITE_CACHE_MB: sqliteCacheMb,
});

function isHttpOrigin(value: string): boolean {
  try {
    const url = new URL(value);
    return (
      (url.protocol === 'http:' || url.protocol === 'https:') && `${url.origin}/` === url.href.replace(/\/?$/, '/')
    );
  } catch {
    return false;
  }
}

const DEV_PUBLIC_URL = 'http://localhost:3000';

export type Env = z.infer<typeof schema> & { SESSION_SECRET: string; WEBHOOK_SECRET: string; PUBLIC_URL: string };

let cached: Env | undefined;

/** DATABASE_URL alone, for tools that open the database without the app's secrets (migrate, seed, drizzle-kit). */
export function databaseUrlFromEnv(): string {
  const parsed = databaseUrl.safeParse(process.env.DATABASE_URL || undefined);
  if (!parsed.success) throw new Error(`Invalid environment:\n  DATABASE_URL: ${parsed.error.issues[0]!.message}`);
  return parsed.data;
}

/** The environment, validated once. In development missing secrets are generated, kept beside the database and printed. */
export function getEnv(): Env {
  if (cached) return cached;
  const parsed = schema.safeParse(process.env);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `  ${issue.path.join('.')}: ${issue.message}`).join('\n');
    throw new Error(`Invalid environment:\n${problems}`);
  }
  const env = parsed.data;
  const missing = (['SESSION_SECRET', 'WEBHOOK_SECRET'] as const).filter((key) => !env[key]);
  if (missing.length > 0 && env.NODE_ENV === 'production') {
    throw new Error(`Refusing to start in production without ${missing.join(' and ')}`);
  }
  if (!env.PUBLIC_URL && env.NODE_ENV === 'production') {
    throw new Error('Refusing to start in production without PUBLIC_URL (the origin put in links sent to customers)');
  }
  const generated = missing.length > 0 ? loadOrCreateDevSecrets(env.DATABASE_URL) : undefined;
  cached = {
    ...env,
    SESSION_SECRET: env.SESSION_SECRET ?? generated!.SESSION_SECRET,
    WEBHOOK_SECRET: env.WEBHOOK_SECRET ?? generated!.WEBHOOK_SECRET,
    PUBLIC_URL: env.PUBLIC_URL ?? DEV_PUBLIC_URL,
  };
  return cached;
}

function loadOrCreateDevSecrets(databaseUrl: string): { SESSION_SECRET: string; WEBHOOK_SECRET: string } {
  const file = join(POSTGRES_URL.test(databaseUrl) ? 'data' : dirname(databaseUrl), 'dev-secrets.json');
  if (existsSync(file)) return JSON.parse(readFileSync(file, 'utf8'));
  const secrets = {
    SESSION_SECRET: randomBytes(32).toString('hex'),
    WEBHOOK_SECRET: `whsec_${randomBytes(24).toString('base64')}`,
  };
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, `${JSON.stringify(secrets, null, 2)}\n`, { mode: 0o600 });
  console.warn(
    `Development secrets generated and kept in ${file}:\n  WEBHOOK_SECRET=${secrets.WEBHOOK_SECRET}\n  SESSION_SECRET=${secrets.SESSION_SECRET}`,
  );
  return secrets;
}

/** One variable alone, by the same rule as getEnv() (which checks them all at start). */
function variableFromEnv<T>(key: keyof typeof schema.shape, rule: z.ZodType<T>): T {
  const parsed = rule.safeParse(process.env[key]);
  if (!parsed.success) throw new Error(`Invalid environment:\n  ${key}: ${parsed.error.issues[0]?.message}`);
  return parsed.data;
}

/** PASSWORD_HASH_COST alone: scripts that hash a password (seed, CLI, test fixtures) need no secrets. */
export const passwordHashCostFromEnv = (): number => variableFromEnv('PASSWORD_HASH_COST', passwordHashCost);

/** SQLITE_CACHE_MB alone: openDatabase reads it, and migrate, seed and the CLI open databases without secrets. */
export const sqliteCacheMbFromEnv = (): number => variableFromEnv('SQLITE_CACHE_MB', sqliteCacheMb);

/** For tests that change the environment between cases. */
export function resetEnvCache(): void {
  cached = undefined;
}
