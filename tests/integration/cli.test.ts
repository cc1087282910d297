import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { viewerForToken } from '../../app/write/api-tokens.server';
import { importNdjsonFile } from '../../cli/import';
import { closeDatabase, openDatabaseUrl } from '../../db/client';
import { ON_POSTGRES } from '../../db/tables';
import { CLI_NODE, cliArgs } from '../support/cli';
import { closeTestDb, createTestDb, queryRow, queryRows } from '../support/db';
import { created, MINUTE, step } from '../support/events';
import { TEST_TMP } from '../support/paths';

/** The CLI's environment on the test's database (a file, or a PostgreSQL URL). */
const cliEnv = (file: string) => ({ ...process.env, DATABASE_URL: file });

describe('cli import', () => {
  it('streams a file through ingestEvents, tallies, skips unreadable lines and reconciles orphans', async () => {
    const { db } = await createTestDb();
    const now = Date.now();
    const recent = (event: { occurredAt: string }, offset: number) => ({
      ...event,
      occurredAt: new Date(now + offset).toISOString(),
    });
    const lines = [
      JSON.stringify(recent(step('pr_cli', 'sent', 0), -3 * MINUTE)), // orphan until its created, later in the file
      '{not json',
      JSON.stringify(recent(created('pr_cli'), -4 * MINUTE)),
      JSON.stringify(recent(created('pr_cli'), -4 * MINUTE)), // duplicate
      JSON.stringify({ ...recent(created('pr_bad'), -4 * MINUTE), paymentRequest: { id: 'pr_bad' } }),
      '',
    ];
    // Its own name: the sqlite and postgres projects run this file at once, in the same directory.
    const file = join(TEST_TMP, `import-${randomUUID()}.ndjson`);
    writeFileSync(file, lines.join('\n'));
    const tally = await importNdjsonFile(db, file);
    expect(tally).toMatchObject({ total: 4, accepted: 2, duplicates: 1, rejected: 1, invalidLines: 1 });
    expect(await queryRow(db, "SELECT status FROM payment_requests WHERE id = 'pr_cli'")).toEqual({
      status: 'sent',
    });
    expect(await queryRows(db, 'SELECT source FROM events')).toEqual([{ source: 'import' }, { source: 'import' }]);
    await closeTestDb(db);
  });
});

describe('cli token create', () => {
  it('prints a working token alone on the last line', async () => {
    const { db, file } = await createTestDb();
    await closeTestDb(db);
    const output = execFileSync(
      CLI_NODE,
      cliArgs(
        'token',
        'create',
        '--role',
        'supervisor',
        '--team',
        'tm_retail',
        '--team',
        'tm_travel',
        '--name',
        'Wallboard',
      ),
      { env: cliEnv(file), encoding: 'utf8' },
    );
    const token = output.trim().split('\n').at(-1)!;
    expect(token).toMatch(/^pld_[A-Za-z0-9_-]{43}$/);
    const check = openDatabaseUrl(file);
    expect(await queryRows(check, 'SELECT action, details FROM audit_log')).toEqual([
      {
        action: 'token_create',
        details: JSON.stringify({
          role: 'supervisor',
          teams: ['tm_retail', 'tm_travel'],
          agent: null,
          name: 'Wallboard',
        }),
      },
    ]);
    expect(await viewerForToken(check, token)).toMatchObject({
      role: 'supervisor',
      name: 'Wallboard',
      scope: { kind: 'teams', teamIds: ['tm_retail', 'tm_travel'] },
    });
    await closeDatabase(check);
  });

  it('refuses an unknown role with a clear message', async () => {
    const { db, file } = await createTestDb();
    await closeTestDb(db);
    let stderr = '';
    try {
      execFileSync(CLI_NODE, cliArgs('token', 'create', '--role', 'boss', '--name', 'x'), {
        env: cliEnv(file),
        encoding: 'utf8',
        stdio: 'pipe',
      });
    } catch (error) {
      stderr = (error as { stderr: string }).stderr;
    }
    expect(stderr).toContain('--role must be one of agent, supervisor, manager, admin');
  });

  it('refuses a scope the role does not read (a manager with --team), creating nothing', async () => {
    const { db, file } = await createTestDb();
    await closeTestDb(db);
    const refused = (...args: string[]) => {
      try {
        execFileSync(CLI_NODE, cliArgs('token', 'create', ...args), {
          env: cliEnv(file),
          encoding: 'utf8',
          stdio: 'pipe',
        });
      } catch (error) {
        return (error as { stderr: string }).stderr.split('\n')[0];
      }
      return 'created';
    };
    expect(refused('--role', 'manager', '--team', 'tm_retail', '--name', 'Wall')).toBe(
      "--team is for supervisor tokens only: a manager token's scope does not read teams",
    );
    expect(refused('--role', 'supervisor', '--team', 'tm_retail', '--agent', 'ag_17', '--name', 'Wall')).toBe(
      '--agent is for agent tokens only, not supervisor',
    );
    // An agent no event has named yet (it was a bare FOREIGN KEY failure).
    expect(refused('--role', 'agent', '--agent', 'ag_17', '--name', 'Thandi')).toBe(
      'No agent ag_17 has been seen yet: its first event creates it (or an admin invites the agent with a team)',
    );
    const check = openDatabaseUrl(file);
    expect(await queryRows(check, 'SELECT id FROM users')).toEqual([]);
    expect(await queryRows(check, 'SELECT id FROM teams')).toEqual([]);
    expect(await queryRows(check, 'SELECT action FROM audit_log')).toEqual([]);
    await closeDatabase(check);
  });
});

// `cli backup` is SQLite's online backup (tests/integration/backup-verify.test.ts, SQLite only): on
// PostgreSQL it refuses, pointing to pg_dump, before writing any file.
describe.runIf(ON_POSTGRES)('cli backup on PostgreSQL', () => {
  it('refuses with exit code 2 and names pg_dump, leaving no file', async () => {
    const { db, file } = await createTestDb();
    await closeTestDb(db);
    const target = join(TEST_TMP, `backup-${randomUUID()}.db`);
    let failure: { status: number; stderr: string } | undefined;
    try {
      execFileSync(CLI_NODE, cliArgs('backup', target), {
        env: cliEnv(file),
        encoding: 'utf8',
        stdio: 'pipe',
      });
    } catch (error) {
      failure = error as { status: number; stderr: string };
    }
    expect(failure?.status).toBe(2);
    expect(failure?.stderr).toContain(
      "backup copies an SQLite database; on PostgreSQL use pg_dump (or your provider's backups)",
    );
    expect(existsSync(target)).toBe(false);
  });
});
