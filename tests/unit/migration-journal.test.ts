import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { MIGRATIONS_FOLDER } from '../../db/migrate';

interface JournalEntry {
  idx: number;
  when: number;
  tag: string;
}

const journal = JSON.parse(readFileSync(join(MIGRATIONS_FOLDER, 'meta', '_journal.json'), 'utf8')) as {
  entries: JournalEntry[];
};

// drizzle's migrator applies only the migrations whose `when` is later than the newest one a database
// has already applied: an entry dated before its predecessor is skipped there, silently.
describe('the migration journal', () => {
  it('lists its entries in idx order, 0, 1, 2, ...', () => {
    expect(journal.entries.map((entry) => entry.idx)).toEqual(journal.entries.map((_, position) => position));
  });

  it('dates each entry strictly later than the one before it', () => {
    const late = journal.entries.filter((entry, i) => i > 0 && entry.when <= journal.entries[i - 1]!.when);
    expect(late.map((entry) => entry.tag)).toEqual([]);
  });

  it('has one SQL file per entry and no SQL file without an entry', () => {
    const files = readdirSync(MIGRATIONS_FOLDER).filter((name) => name.endsWith('.sql'));
    expect(files.sort()).toEqual(journal.entries.map((entry) => `${entry.tag}.sql`).sort());
  });
});
