import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { z } from 'zod';
import { isTimeZoneName } from './time-zone';

const ttlSeconds = (fallback: number) => z.coerce.number().int().min(60).max(1800).default(fallback);

/** log2 of scrypt's N for new password hashes: 17 in production (OWASP), lower only to make tests fast. */
const passwordHashCost = z.coerce.number().int().min(10).max(20).default(17);

const schema = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  DATABASE_URL: z.string().min(1).default('data/app.db'),
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
  PASSWORD_HASH_COST: passwordHashCost,
});

export type Env = z.infer<typeof schema> & { SESSION_SECRET: string; WEBHOOK_SECRET: string };

let cached: Env | undefined;

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
  const generated = missing.length > 0 ? loadOrCreateDevSecrets(env.DATABASE_URL) : undefined;
  cached = {
    ...env,
    SESSION_SECRET: env.SESSION_SECRET ?? generated!.SESSION_SECRET,
    WEBHOOK_SECRET: env.WEBHOOK_SECRET ?? generated!.WEBHOOK_SECRET,
  };
  return cached;
}

function loadOrCreateDevSecrets(databaseUrl: string): { SESSION_SECRET: string; WEBHOOK_SECRET: string } {
  const file = join(dirname(databaseUrl), 'dev-secrets.json');
  if (existsSync(file)) return JSON.parse(readFileSync(file, 'utf8'));
  const secrets = {
    SESSION_SECRET: randomBytes(32).toString('hex'),
    WEBHOOK_SECRET: `whsec_${randomBytes(24).toString('base64')}`,
  };
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, `${JSON.stringify(secrets, null, 2)}\n`, { mode: 0o600 });
  console.warn(`Development secrets generated and kept in ${file}:\n  WEBHOOK_SECRET=${secrets.WEBHOOK_SECRET}`);
  return secrets;
}

/**
 * PASSWORD_HASH_COST alone, validated by the same rule as getEnv() (which checks it at start): scripts
 * that hash a password (seed, CLI, test fixtures) need no secrets.
 */
export function passwordHashCostFromEnv(): number {
  const parsed = passwordHashCost.safeParse(process.env.PASSWORD_HASH_COST);
  if (!parsed.success)
    throw new Error(`Invalid environment:\n  PASSWORD_HASH_COST: ${parsed.error.issues[0]?.message}`);
  return parsed.data;
}

/** For tests that change the environment between cases. */
export function resetEnvCache(): void {
  cached = undefined;
}
