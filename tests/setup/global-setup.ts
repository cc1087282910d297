import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { openDatabase } from '../../db/client';
import { migrateDatabase } from '../../db/migrate';
import { BASE_DB, TEST_TMP } from '../support/paths';

/** Builds one migrated base database; each test copies it (Epic Stack's global-setup). */
export default function setup() {
  rmSync(TEST_TMP, { recursive: true, force: true });
  mkdirSync(TEST_TMP, { recursive: true });
  const db = openDatabase(BASE_DB);
  migrateDatabase(db);
  db.$client.pragma('wal_checkpoint(TRUNCATE)');
  db.$client.close();
  // vitest sets NODE_ENV=test, which would make a development build (jsxDEV): build for production.
  if (!existsSync('build/index.js')) {
    execFileSync('npx', ['remix', 'build'], { stdio: 'inherit', env: { ...process.env, NODE_ENV: 'production' } });
  }
  // The export workers and the server run from their bundles: rebuilt every time (milliseconds), never stale.
  execFileSync('npm', ['run', '--silent', 'build:workers'], { stdio: 'inherit' });
  execFileSync('npm', ['run', '--silent', 'build:server'], { stdio: 'inherit' });
}
