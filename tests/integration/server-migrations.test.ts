import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { closeDatabase, openDatabaseUrl, sqlRun } from '../../db/client';
import sqliteJournal from '../../db/migrations/meta/_journal.json';
import postgresJournal from '../../db/migrations-pg/meta/_journal.json';
import { connectPostgres } from '../../db/pg-client';
import { ON_POSTGRES } from '../../db/tables';
import { closeTestDb, createTestDb, queryRows } from '../support/db';
import { TEST_TMP } from '../support/paths';
import { postgresServerUrl } from '../support/postgres';
import { spawnServer, startServer } from '../support/server';

// Runs on both engines. `npm start` migrates and then serves; the built server started by itself
// (`node build/server.js`, as a process manager does) must not serve a database it has not been
// migrated for: every request reading a missing table would fail while /healthz said 200.

const TAGS = (ON_POSTGRES ? postgresJournal : sqliteJournal).entries.map((entry) => entry.tag);
const MIGRATIONS_TABLE = ON_POSTGRES ? 'drizzle.__drizzle_migrations' : '__drizzle_migrations';

/** Runs the server on `databaseUrl` until it exits (or 20 s): its exit code and output. */
async function runServer(databaseUrl: string): Promise<{ code: number | null; output: string; listened: boolean }> {
  const server = await spawnServer(databaseUrl);
  const timer = setTimeout(() => server.child.kill('SIGKILL'), 20_000);
  const code = await new Promise<number | null>((resolve) => server.child.once('exit', resolve));
  clearTimeout(timer);
  return { code, output: server.output(), listened: server.output().includes('listening on') };
}

/** A database with no tables at all, on this project's engine. */
async function newDatabase(): Promise<string> {
  if (!ON_POSTGRES) return join(TEST_TMP, `${randomUUID()}.db`);
  const name = `paylink_unmigrated_${randomUUID().replaceAll('-', '')}`;
  const admin = await connectPostgres(postgresServerUrl('postgres'));
  try {
    await admin.query(`CREATE DATABASE "${name}"`);
  } finally {
    await admin.end();
  }
  return postgresServerUrl(name);
}

describe('the server on a database that is not migrated', () => {
  it('refuses a new database, naming the migrations and how to apply them, and creates nothing', async () => {
    const url = await newDatabase();
    const run = await runServer(url);
    expect(run.code).toBe(1);
    expect(run.listened).toBe(false);
    expect(run.output).toContain(
      `Paylink Desk did not start: The database has ${TAGS.length} migration(s) not applied (${TAGS[0]} … ${TAGS.at(-1)})`,
    );
    expect(run.output).toContain('run `npm start`');
    const db = openDatabaseUrl(url);
    try {
      const tables = ON_POSTGRES
        ? await queryRows(db, "SELECT tablename FROM pg_tables WHERE schemaname IN ('public', 'drizzle')")
        : await queryRows(db, "SELECT name FROM sqlite_master WHERE type = 'table'");
      expect(tables).toEqual([]);
    } finally {
      await closeDatabase(db);
    }
  });

  it('refuses a database one migration behind, naming that one', async () => {
    const { db, file } = await createTestDb();
    await sqlRun(
      db,
      `DELETE FROM ${MIGRATIONS_TABLE} WHERE created_at = (SELECT max(created_at) FROM ${MIGRATIONS_TABLE})`,
    );
    await closeTestDb(db);
    const run = await runServer(file);
    expect(run.code).toBe(1);
    expect(run.output).toContain(`The database has 1 migration(s) not applied (${TAGS.at(-1)})`);
  });

  it('does not refuse a database that does not answer yet: it serves, and /healthz says 503', async () => {
    // PostgreSQL still starting (here: port 1, where nothing listens). The check cannot run; the
    // server starts as before, and the health check tells the load balancer.
    const server = await spawnServer('postgres://postgres@127.0.0.1:1/paylink_absent');
    const exited = new Promise<number | null>((resolve) => server.child.once('exit', resolve));
    try {
      await vi.waitFor(
        async () => {
          const health = await fetch(`${server.url}/healthz`);
          expect([health.status, await health.json()]).toEqual([503, { status: 'unavailable' }]);
        },
        { timeout: 20_000, interval: 100 },
      );
      expect(server.output()).toContain('Could not check the database migrations at start (serving anyway)');
      expect(server.child.exitCode).toBeNull();
    } finally {
      server.child.kill('SIGKILL');
      await exited;
    }
  });

  it('serves a migrated database', async () => {
    const server = await startServer();
    try {
      const health = await fetch(`${server.url}/healthz`);
      expect(health.status).toBe(200);
      expect(((await health.json()) as { status: string }).status).toBe('ok');
    } finally {
      await server.stop();
    }
  });
});
