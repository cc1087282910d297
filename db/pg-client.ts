import { fileURLToPath } from 'node:url';
import { drizzle } from 'drizzle-orm/node-postgres';
import { migrate } from 'drizzle-orm/node-postgres/migrator';
import pg from 'pg';

/**
 * PostgreSQL connections (issue 13). Timestamps and money are `bigint` there (db/schema.pg.ts, mode
 * 'number'): drizzle maps them, but raw queries get int8 as strings, so every connection made here
 * parses int8 to a number and refuses one beyond 2^53 rather than round it.
 */

const INT8_OID = 20;

export function isPostgresUrl(url: string): boolean {
  return /^postgres(ql)?:\/\//i.test(url);
}

export function parseInt8(value: string): number {
  const number = Number(value);
  if (!Number.isSafeInteger(number)) throw new Error(`int8 ${value} is not a safe integer`);
  return number;
}

const types = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === INT8_OID ? parseInt8 : pg.types.getTypeParser(oid, format)) as typeof pg.types.getTypeParser,
};

/** A pool whose clients read int8 as numbers. */
export function openPostgres(url: string, options: { max?: number } = {}): pg.Pool {
  return new pg.Pool({ connectionString: url, types, max: options.max ?? 10 });
}

/** One client (for LISTEN, or a test), with the same int8 parsing. Connected. */
export async function connectPostgres(url: string): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: url, types });
  await client.connect();
  return client;
}

/** Applies db/migrations-pg (drizzle-kit's, from db/schema.pg.ts); safe to repeat. */
export async function migratePostgres(client: pg.Pool | pg.Client): Promise<void> {
  // Resolved here, not at load: the export workers' CommonJS bundles include this module unused.
  await migrate(drizzle(client), { migrationsFolder: fileURLToPath(new URL('./migrations-pg', import.meta.url)) });
}

/** The URL with its password hidden, for messages. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return '(unparsable URL)';
  }
}
