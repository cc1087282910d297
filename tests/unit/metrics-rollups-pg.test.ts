import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ROLLUP_TABLES, rollupTriggerSql } from '../../db/metrics-rollups';
import {
  rollupMigrationPgSql,
  rollupTriggerPgSql,
  WATCHED_COLUMNS,
  writerTriggersDropPgSql,
} from '../../db/metrics-rollups.pg';

// The PostgreSQL rollup triggers are generated from the same metric table as SQLite's (issue 13);
// tests/postgres/schema.test.ts runs them against a real server and compares with SQLite.

describe('db/metrics-rollups.pg.ts', () => {
  it('is what the custom migration of db/migrations-pg holds', () => {
    const migration = readFileSync('db/migrations-pg/0001_metrics_rollup_triggers.sql', 'utf8');
    expect(migration).toBe(`${rollupMigrationPgSql().join('\n--> statement-breakpoint\n')}\n`);
  });

  it('drops the insert and update triggers in migration 0010, keeping the delete trigger', () => {
    const migration = readFileSync('db/migrations-pg/0010_rollups_by_writer.sql', 'utf8');
    const statements = migration
      .replace(/^--.*\n/gm, '')
      .trim()
      .split('--> statement-breakpoint\n');
    expect(statements.map((statement) => statement.trim())).toEqual(writerTriggersDropPgSql());
    expect(migration).not.toContain('metrics_rollup_delete');
  });

  it("watches the columns SQLite's update trigger watches", () => {
    const sqliteUpdate = rollupTriggerSql()[1]!;
    const sqliteWatched = [...sqliteUpdate.matchAll(/OLD\.(\w+) IS NOT NEW\.\1/g)].map((match) => match[1]);
    expect(sqliteWatched).toEqual([...WATCHED_COLUMNS]);
    const pgUpdate = rollupTriggerPgSql()[4]!;
    expect([...pgUpdate.matchAll(/OLD\.(\w+) IS DISTINCT FROM NEW\.\1/g)].map((match) => match[1])).toEqual(
      sqliteWatched,
    );
    expect(pgUpdate).toContain('(OLD.send_failures > 0) <> (NEW.send_failures > 0)');
  });

  it('upserts every rollup table once per instant on insert and delete, twice on update', () => {
    const [insert, update, remove] = rollupTriggerPgSql();
    const tables = Object.values(ROLLUP_TABLES).map((table) => table.name);
    const upserts = (sql: string) => [...sql.matchAll(/INSERT INTO (\w+) /g)].map((match) => match[1]);
    expect(upserts(insert!)).toEqual(tables.flatMap((name) => [name, name]));
    expect(upserts(remove!)).toEqual(tables.flatMap((name) => [name, name]));
    expect(upserts(update!)).toEqual(tables.flatMap((name) => [name, name, name, name]));
    // An upsert's SET names its table: a bare column there is ambiguous in PostgreSQL.
    expect(insert).toContain('sent = metrics_rollup_day.sent + excluded.sent');
    expect(insert).not.toMatch(/\bWHERE 1\b|bins\./);
  });
});
