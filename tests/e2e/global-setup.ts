import { mkdirSync, rmSync } from 'node:fs';
import { openDatabase } from '../../db/client';
import { migrateDatabase } from '../../db/migrate';

/** A fresh migrated database for the browser journeys; each spec creates the data it needs. */
export default function globalSetup() {
  rmSync('tmp/e2e', { recursive: true, force: true });
  mkdirSync('tmp/e2e', { recursive: true });
  const db = openDatabase('tmp/e2e/app.db');
  migrateDatabase(db);
  db.$client.close();
}
