import { randomUUID } from 'node:crypto';
import { copyFileSync } from 'node:fs';
import { join } from 'node:path';
import { type Db, openDatabase } from '../../db/client';
import { BASE_DB, TEST_TMP } from './paths';

/** A fresh database file made from the migrations, for one test. */
export function createTestDb(): { db: Db; file: string } {
  const file = join(TEST_TMP, `${randomUUID()}.db`);
  copyFileSync(BASE_DB, file);
  return { db: openDatabase(file), file };
}
