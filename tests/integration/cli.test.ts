import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { viewerForToken } from '../../app/write/api-tokens.server';
import { importNdjsonFile } from '../../cli/import';
import { openDatabase } from '../../db/client';
import { createTestDb } from '../support/db';
import { created, MINUTE, step } from '../support/events';
import { TEST_TMP } from '../support/paths';

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
    const file = join(TEST_TMP, 'import.ndjson');
    writeFileSync(file, lines.join('\n'));
    const tally = await importNdjsonFile(db, file);
    expect(tally).toMatchObject({ total: 4, accepted: 2, duplicates: 1, rejected: 1, invalidLines: 1 });
    expect(db.$client.prepare("SELECT status FROM payment_requests WHERE id = 'pr_cli'").get()).toEqual({
      status: 'sent',
    });
    expect(db.$client.prepare('SELECT source FROM events').all()).toEqual([{ source: 'import' }, { source: 'import' }]);
    db.$client.close();
  });
});

describe('cli token create', () => {
  it('prints a working token alone on the last line', async () => {
    const { db, file } = await createTestDb();
    db.$client.close();
    const output = execFileSync(
      'npx',
      [
        'tsx',
        'cli/main.ts',
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
      ],
      {
        env: { ...process.env, DATABASE_URL: file },
        encoding: 'utf8',
      },
    );
    const token = output.trim().split('\n').at(-1)!;
    expect(token).toMatch(/^pld_[A-Za-z0-9_-]{43}$/);
    const check = openDatabase(file);
    expect(check.$client.prepare('SELECT action, details FROM audit_log').all()).toEqual([
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
    check.$client.close();
  });

  it('refuses an unknown role with a clear message', async () => {
    const { db, file } = await createTestDb();
    db.$client.close();
    let stderr = '';
    try {
      execFileSync('npx', ['tsx', 'cli/main.ts', 'token', 'create', '--role', 'boss', '--name', 'x'], {
        env: { ...process.env, DATABASE_URL: file },
        encoding: 'utf8',
        stdio: 'pipe',
      });
    } catch (error) {
      stderr = (error as { stderr: string }).stderr;
    }
    expect(stderr).toContain('--role must be one of agent, supervisor, manager, admin');
  });
});
