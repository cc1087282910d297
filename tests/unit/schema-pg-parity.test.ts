import { is, type SQL } from 'drizzle-orm';
import { PgDialect, PgTable, getTableConfig as pgConfig } from 'drizzle-orm/pg-core';
import { SQLiteSyncDialect, SQLiteTable, getTableConfig as sqliteConfig } from 'drizzle-orm/sqlite-core';
import { describe, expect, it } from 'vitest';
import { PACKED_COLUMNS } from '../../db/packed-counts';
import * as sqlite from '../../db/schema';
import * as pgSchema from '../../db/schema.pg';

// db/schema.pg.ts mirrors db/schema.ts (issue 13): every difference the app could see is a failure.

/** What both engines must agree on, in one engine-neutral shape. */
interface Shape {
  table: string;
  columns: Record<string, string>;
  primaryKeys: string[];
  uniques: string[];
  indexes: string[];
  foreignKeys: string[];
}

/**
 * A column's kind as the app sees it (drizzle's dataType): SQLite integer and pg integer/bigint mode
 * 'number' are both 'number', SQLite 0/1 mode 'boolean' and pg boolean both 'boolean'.
 */
function kind(column: { dataType: string; enumValues?: readonly string[]; getSQLType?: () => string }): string {
  const enumValues = column.enumValues?.length ? `[${column.enumValues.join('|')}]` : '';
  // pg-core has no bytea builder: db/schema.pg.ts's bytea customType is SQLite's blob in mode 'buffer'.
  const dataType = column.dataType === 'custom' && column.getSQLType?.() === 'bytea' ? 'buffer' : column.dataType;
  return `${dataType}${enumValues}`;
}

function describeColumn(column: {
  dataType: string;
  enumValues?: readonly string[];
  getSQLType?: () => string;
  notNull: boolean;
  primary: boolean;
  isUnique: boolean;
  hasDefault: boolean;
  default?: unknown;
}): string {
  const parts = [kind(column), column.notNull ? 'not null' : 'null'];
  if (column.primary) parts.push('primary key');
  if (column.isUnique) parts.push('unique');
  if (column.hasDefault) parts.push(`default ${JSON.stringify(column.default ?? null)}`);
  return parts.join(' ');
}

type IndexColumn = { name: string } | SQL;
const columnName = (column: IndexColumn) => ('name' in column ? column.name : 'expression');

function sqliteShape(table: SQLiteTable): Shape {
  const config = sqliteConfig(table);
  const dialect = new SQLiteSyncDialect();
  return {
    table: config.name,
    columns: Object.fromEntries(config.columns.map((column) => [column.name, describeColumn(column)])),
    primaryKeys: config.primaryKeys.map((key) => key.columns.map((column) => column.name).join(', ')),
    uniques: config.uniqueConstraints.map((unique) => unique.columns.map((column) => column.name).join(', ')),
    indexes: config.indexes.map(({ config: index }) =>
      [
        index.name,
        index.unique ? 'unique' : '',
        (index.columns as IndexColumn[]).map(columnName).join(', '),
        index.where ? `where ${dialect.sqlToQuery(index.where).sql}` : '',
      ].join(' '),
    ),
    foreignKeys: config.foreignKeys.map((key) => {
      const { columns, foreignColumns } = key.reference();
      return `${columns.map((c) => c.name)} -> ${foreignColumns.map((c) => `${getTableName(c.table)}.${c.name}`)} on delete ${key.onDelete ?? 'no action'}`;
    }),
  };
}

function pgShape(table: PgTable): Shape {
  const config = pgConfig(table);
  const dialect = new PgDialect();
  return {
    table: config.name,
    columns: Object.fromEntries(config.columns.map((column) => [column.name, describeColumn(column)])),
    primaryKeys: config.primaryKeys.map((key) => key.columns.map((column) => column.name).join(', ')),
    uniques: config.uniqueConstraints.map((unique) => unique.columns.map((column) => column.name).join(', ')),
    indexes: config.indexes.map(({ config: index }) =>
      [
        index.name,
        index.unique ? 'unique' : '',
        (index.columns as IndexColumn[]).map(columnName).join(', '),
        index.where ? `where ${dialect.sqlToQuery(index.where).sql}` : '',
      ].join(' '),
    ),
    foreignKeys: config.foreignKeys.map((key) => {
      const { columns, foreignColumns } = key.reference();
      return `${columns.map((c) => c.name)} -> ${foreignColumns.map((c) => `${getTableName(c.table)}.${c.name}`)} on delete ${key.onDelete ?? 'no action'}`;
    }),
  };
}

function getTableName(table: unknown): string {
  return (table as Record<symbol, string>)[Symbol.for('drizzle:Name')]!;
}

const sqliteTables = (Object.entries(sqlite) as [string, unknown][]).filter((entry): entry is [string, SQLiteTable] =>
  is(entry[1], SQLiteTable),
);
const pgTables = (Object.entries(pgSchema) as [string, unknown][]).filter((entry): entry is [string, PgTable] =>
  is(entry[1], PgTable),
);

describe('db/schema.pg.ts mirrors db/schema.ts', () => {
  it('exports the same tables under the same names', () => {
    expect(pgTables.map(([name, table]) => `${name}=${pgConfig(table).name}`).sort()).toEqual(
      sqliteTables.map(([name, table]) => `${name}=${sqliteConfig(table).name}`).sort(),
    );
    expect(sqliteTables.length).toBe(28);
  });

  // The indexes that differ on purpose (issue 14), each SQLite's and PostgreSQL's (null: none).
  const ENGINE_OWN_INDEXES: Record<string, [sqlite: string, postgres: string | null][]> = {
    paymentRequests: [
      // SQLite's amount index leads with the 30-day period of sent_at, so an insert lands among recent
      // entries (db/sent-period.ts) and the list merges the periods; PostgreSQL's list reads
      // (currency, amount, id) as it always did.
      ['pr_period_currency_amount_idx  expression, currency, amount ', 'pr_currency_amount_idx  currency, amount, id '],
      // SQLite's openedAt index holds the opened without the id, the never opened are apart by id
      // (migration 0028: 26.0 -> 12.5 + 3.4 bytes a request at 1M), and its list reads each part
      // (plan.server.ts, NULL_RUN_INDEXES). PostgreSQL's list reads both parts through (opened_at, id)
      // as it always did (opened_at IS NULL is an index condition there; no migration).
      ['pr_opened_idx  opened_at where opened_at IS NOT NULL', 'pr_opened_idx  opened_at, id '],
      ['pr_never_opened_idx  id where opened_at IS NULL', null],
    ],
  };

  // The columns that differ on purpose (issue 14, disk): SQLite's rollup tables pack their counts in
  // one TEXT column (db/packed-counts.ts) where PostgreSQL keeps a bigint column each.
  const PACKED_ROLLUPS = [
    'metricsRollup15m',
    'metricsRollupDay',
    'metricsRollupAgentDay',
    'metricsRollupAgentChannelDay',
  ];
  const unpacked = (columns: Record<string, string>): Record<string, string> => {
    const { counts, ...rest } = columns;
    expect(counts).toBe('string not null default ""');
    return { ...rest, ...Object.fromEntries(PACKED_COLUMNS.map((name) => [name, 'number not null default 0'])) };
  };

  it.each(sqliteTables.map(([name]) => name))('%s: columns, nullability, defaults, keys, indexes', (name) => {
    const sqliteTable = sqliteTables.find(([n]) => n === name)![1];
    const pgTable = pgTables.find(([n]) => n === name)?.[1];
    expect(pgTable, `db/schema.pg.ts has no ${name}`).toBeDefined();
    const expected = sqliteShape(sqliteTable);
    for (const [own, postgres] of ENGINE_OWN_INDEXES[name] ?? []) {
      expect(expected.indexes).toContain(own);
      expected.indexes = expected.indexes.flatMap((index) => (index !== own ? [index] : postgres ? [postgres] : []));
    }
    if (PACKED_ROLLUPS.includes(name)) expected.columns = unpacked(expected.columns);
    expect(pgShape(pgTable!)).toEqual(expected);
  });

  it('describes a column the same way on both engines', () => {
    // The comparison itself: a few known columns, so a shape that lost its detail cannot pass.
    const sqliteEvents = sqliteShape(sqlite.events);
    expect(sqliteEvents.columns.seq).toBe('number not null primary key default null');
    expect(sqliteEvents.columns.applied).toBe('boolean not null default false');
    expect(sqliteEvents.columns.source).toBe('string[api|import|seed|system|agent_console|customer|provider] not null');
    expect(sqliteEvents.columns.content_hash).toBe('buffer null');
    expect(pgShape(pgSchema.events).columns.content_hash).toBe('buffer null');
    expect(sqliteEvents.indexes).toEqual([
      'events_id_idx unique id ',
      'events_request_idx  request_id ',
      'events_unapplied_idx  request_id where applied = false',
    ]);
    expect(sqliteShape(sqlite.eventReceipts).primaryKeys).toEqual(['minute']);
    const pgRequests = pgShape(pgSchema.paymentRequests);
    expect(pgRequests.columns.amount).toBe('number not null');
    expect(pgRequests.indexes).toContain('pr_expiry_due_idx  expiry_due_at where expiry_due_at IS NOT NULL');
    expect(pgShape(pgSchema.metricsRollupDay).primaryKeys).toEqual(['bucket, team_id, currency']);
    expect(pgShape(pgSchema.sessions).foreignKeys).toEqual(['user_id -> users.id on delete cascade']);
  });
});
