import { randomUUID } from 'node:crypto';
import { copyFileSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type Db, openDatabase } from '../../db/client';
import { MIGRATIONS_FOLDER, migrateDatabase } from '../../db/migrate';
import { TEST_TMP } from './paths';

/**
 * An SQLite database migrated up to just before the migration whose tag starts with `tag` (e.g.
 * '0013_'): a copy of the migrations folder without it and the later ones. `migrateDatabase(db)`
 * then runs the rest, as on a database made by an older release.
 */
export function databaseBefore(tag: string): Db {
  const folder = join(TEST_TMP, `migrations-${randomUUID()}`);
  mkdirSync(join(folder, 'meta'), { recursive: true });
  for (const name of readdirSync(MIGRATIONS_FOLDER).filter((file) => file.endsWith('.sql'))) {
    copyFileSync(join(MIGRATIONS_FOLDER, name), join(folder, name));
  }
  const journal = JSON.parse(readFileSync(join(MIGRATIONS_FOLDER, 'meta', '_journal.json'), 'utf8'));
  const index = journal.entries.findIndex((entry: { tag: string }) => entry.tag.startsWith(tag));
  if (index < 0) throw new Error(`no migration ${tag}`);
  journal.entries = journal.entries.slice(0, index);
  writeFileSync(join(folder, 'meta', '_journal.json'), JSON.stringify(journal));
  const db = openDatabase(join(TEST_TMP, `${randomUUID()}.db`));
  migrateDatabase(db, folder);
  return db;
}
