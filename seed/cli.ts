import { parseArgs } from 'node:util';
import { parseRfc3339 } from '../app/domain/event-schema';
import { DEFAULT_DATABASE_URL, databaseUrlFromEnv } from '../app/lib/env.server';
import { getExpirySettings } from '../app/read/settings.server';
import { type IngestSummary, ingestEvents } from '../app/write/ingest.server';
import {
  closeDatabase,
  type Db,
  onPostgres,
  openDatabase,
  openPostgresDb,
  sqlRows,
  sqlRun,
  writeTransaction,
} from '../db/client';
import { migrateDatabase } from '../db/migrate';
import { isPostgresUrl, migratePostgres, redactUrl } from '../db/pg-client';
import { bulkSeed } from './bulk';
import { DEMO_PASSWORD, ensureDemoUsers } from './demo-users';
import { generateSeedEvents } from './generate';

const USAGE = `Usage: npm run seed -- --requests N --days D --seed S [--reset] [--bulk] [--now 2026-03-10T14:30:00Z]

  --requests N   payment requests to create (default 30000)
  --days D       days of history, ending now (default 30)
  --seed S       seed of the generator: the same seed gives the same data (default 42)
  --reset        delete all requests, events, rejected events, and agents and teams no user refers to
  --now T        end of the period (RFC 3339), for byte-identical data between runs (default: now)
  --bulk         write the events, the projection and the rollups directly (seed/bulk.ts): the same
                 result as the ingest path, many times faster; needs a database without requests
                 (or --reset)
  --no-events    with --bulk: no events rows, only the requests, agents, teams and rollups the
                 reads use (the 10M-request metrics database)

Writes to DATABASE_URL (default ${DEFAULT_DATABASE_URL}) through the ingest path unless --bulk.`;

interface SeedArgs {
  requests: number;
  days: number;
  seed: number;
  reset: boolean;
  bulk: boolean;
  events: boolean;
  now: number;
}

class UsageError extends Error {}

function integerArg(name: string, text: string | undefined, fallback: number, min: number, max: number): number {
  if (text === undefined) return fallback;
  const value = Number(text);
  if (!/^\d+$/.test(text.trim()) || !Number.isSafeInteger(value) || value < min || value > max) {
    throw new UsageError(`--${name} must be an integer from ${min} to ${max}, got "${text}"`);
  }
  return value;
}

function parseSeedArgs(argv: string[]): SeedArgs | null {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        requests: { type: 'string' },
        days: { type: 'string' },
        seed: { type: 'string' },
        reset: { type: 'boolean', default: false },
        bulk: { type: 'boolean', default: false },
        'no-events': { type: 'boolean', default: false },
        now: { type: 'string' },
        help: { type: 'boolean', short: 'h', default: false },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  if (values.help) return null;
  if (values['no-events'] && !values.bulk) throw new UsageError('--no-events needs --bulk');
  const nowText = values.now as string | undefined;
  const now = nowText === undefined ? Date.now() : parseRfc3339(nowText);
  if (now === null) throw new UsageError(`--now must be an RFC 3339 timestamp with an offset, got "${nowText}"`);
  return {
    requests: integerArg('requests', values.requests as string | undefined, 30_000, 1, 100_000_000),
    days: integerArg('days', values.days as string | undefined, 30, 1, 3650),
    seed: integerArg('seed', values.seed as string | undefined, 42, 0, 0xffffffff),
    reset: values.reset === true,
    bulk: values.bulk === true,
    events: values['no-events'] !== true,
    now,
  };
}

/**
 * Deletes the demo data: all requests, events and rejected events, then the agents and teams no
 * user or supervisor scope refers to (users, tokens and settings are the admin's, never touched).
 */
async function resetDemoData(db: Db): Promise<void> {
  await writeTransaction(db, async () => {
    for (const statement of [
      'DELETE FROM events',
      'DELETE FROM event_receipts',
      'DELETE FROM payment_requests',
      'DELETE FROM rejected_events',
      'DELETE FROM rejection_codes',
      'DELETE FROM agents WHERE id NOT IN (SELECT agent_id FROM users WHERE agent_id IS NOT NULL)',
      'DELETE FROM teams WHERE id NOT IN (SELECT team_id FROM agents) AND id NOT IN (SELECT team_id FROM user_teams)',
    ])
      await sqlRun(db, statement);
  });
}

async function alreadySeeded(db: Db, seed: number): Promise<boolean> {
  // Every event id of a seed starts with evt_<seed>_; '`' is the character after '_'.
  const rows = await sqlRows(db, 'SELECT 1 FROM events WHERE id >= ? AND id < ? LIMIT 1', [
    `evt_${seed}_`,
    `evt_${seed}\``,
  ]);
  return rows.length > 0;
}

/** DATABASE_URL opened and migrated as `npm start` does: an SQLite file, or PostgreSQL by URL. */
async function openMigrated(url: string): Promise<Db> {
  if (!isPostgresUrl(url)) {
    const db = openDatabase(url, { synchronous: 'NORMAL' });
    migrateDatabase(db);
    return db;
  }
  const db = openPostgresDb(url, { max: 2 });
  await migratePostgres(db.$pg!.pool);
  return db;
}

function checkIngested(summary: IngestSummary): number {
  const rejected = summary.results.find((result) => result.status === 'rejected');
  if (rejected && 'error' in rejected) {
    throw new Error(`Generated event ${rejected.id} was rejected: ${rejected.error.code} ${rejected.error.message}`);
  }
  return summary.accepted;
}

function formatDuration(ms: number): string {
  return ms < 60_000
    ? `${(ms / 1000).toFixed(1)} s`
    : `${Math.floor(ms / 60_000)} min ${Math.round((ms % 60_000) / 1000)} s`;
}

async function demoUsers(db: Db): Promise<void> {
  if (process.env.NODE_ENV === 'production') return;
  const created = await ensureDemoUsers(db);
  if (created.length > 0) console.log(`Demo accounts (password "${DEMO_PASSWORD}"): ${created.join(', ')}`);
}

async function seed(args: SeedArgs): Promise<void> {
  const url = databaseUrlFromEnv();
  const file = isPostgresUrl(url) ? redactUrl(url) : url;
  const db = await openMigrated(url);
  try {
    if (args.bulk && onPostgres(db)) {
      throw new UsageError('--bulk writes SQLite files only: seed one, then npm run cli -- copy-database');
    }
    if (args.reset) await resetDemoData(db);
    else if (await alreadySeeded(db, args.seed)) {
      throw new UsageError(`${file} already holds data of seed ${args.seed}: add --reset, or use another --seed`);
    }
    const settings = await getExpirySettings(db);
    const ingestOptions = { now: args.now, settings };
    console.log(
      `Seeding ${file}: ${args.requests} requests over ${args.days} days to ${new Date(args.now).toISOString()}, seed ${args.seed}`,
    );

    const started = performance.now();
    if (args.bulk) {
      db.$client.pragma('synchronous = OFF');
      db.$client.pragma('cache_size = -1048576');
      const summary = bulkSeed(db, {
        ...args,
        ...settings,
        settings,
        events: args.events,
        onProgress: ({ requests, events, phase }) =>
          console.log(
            `  ${phase}: ${requests}/${args.requests} requests, ${events} events, ${formatDuration(performance.now() - started)}`,
          ),
      });
      db.$client.pragma('wal_checkpoint(TRUNCATE)');
      const { rows, rollups, indexes } = summary.timings;
      console.log(
        `Seeded ${summary.requests} requests, ${summary.events} events in ${formatDuration(performance.now() - started)} (bulk: rows ${formatDuration(rows)}, rollups ${formatDuration(rollups)}, indexes and triggers ${formatDuration(indexes)})`,
      );
      await demoUsers(db);
      return;
    }
    const interactive = process.stdout.isTTY;
    let requests = 0;
    let events = 0;
    let nextReport = 0.05;
    for (const batch of generateSeedEvents({ ...args, ...settings })) {
      // Ingest records each expiry already due with its request's own events (SPEC §1), so the
      // generator's system expiries come back as duplicates: stored once, counted here.
      events += checkIngested(await ingestEvents(db, batch.events, 'seed', ingestOptions));
      const system = await ingestEvents(db, batch.systemEvents, 'system', ingestOptions);
      events += checkIngested(system) + system.duplicates;
      requests += batch.outcomes.length;
      const done = requests / args.requests;
      const rate = Math.round(events / ((performance.now() - started) / 1000));
      const line = `  ${requests}/${args.requests} requests (${Math.floor(done * 100)}%), ${events} events, ${rate} events/s`;
      if (interactive) process.stdout.write(`\r${line}`);
      else if (done >= nextReport || done === 1) {
        console.log(line);
        nextReport = Math.floor(done * 20 + 1) / 20;
      }
    }
    if (interactive) process.stdout.write('\n');
    if (!onPostgres(db)) db.$client.pragma('wal_checkpoint(TRUNCATE)');
    const elapsed = performance.now() - started;
    console.log(
      `Seeded ${requests} requests, ${events} events in ${formatDuration(elapsed)} (${Math.round(events / (elapsed / 1000))} events/s)`,
    );
    await demoUsers(db);
  } finally {
    await closeDatabase(db);
  }
}

async function main(): Promise<void> {
  try {
    const args = parseSeedArgs(process.argv.slice(2));
    if (!args) {
      console.log(USAGE);
      return;
    }
    await seed(args);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    console.error(`${error.message}\n\n${USAGE}`);
    process.exitCode = 2;
  }
}

await main();
