import { type RangeInstant, type RequestRule, ROLLUP_COLUMNS, type RollupColumn } from '../app/domain/metric-table';
import { cellSql, PAID_INDEX_SQL, payBinSql, ROLLUP_TABLES, type RollupTable, ruleSql } from './metrics-rollups';

/**
 * The PostgreSQL twin of db/metrics-rollups.ts (issue 13): the same rollups, from the same metric
 * table, kept by plpgsql trigger functions on payment_requests. What differs from SQLite's SQL:
 * booleans are not integers (a count adds CASE WHEN ... THEN 1 ELSE 0), `IS NOT` between values is
 * `IS DISTINCT FROM`, an upsert's SET names the target table (`t.c + excluded.c`: a bare `c` is
 * ambiguous there), and a row's pay bins are computed once into plpgsql variables.
 * The rollup tables themselves come from db/schema.pg.ts (drizzle-kit); this file makes the
 * functions, triggers and the paid-time indexes, written into a custom migration of db/migrations-pg.
 * Since migration-pg 0010 only the delete trigger is left: the writer moves the rollups on insert and
 * update (db/rollup-deltas.pg.ts), as on SQLite.
 */

type Row = 'NEW.' | 'OLD.';

const TIME_COLUMN: Record<RangeInstant, string> = { sentAt: 'sent_at', createdAt: 'created_at' };

const COLUMNS_BY_INSTANT: readonly { time: string; columns: readonly RollupColumn[] }[] = (
  Object.keys(TIME_COLUMN) as RangeInstant[]
)
  .map((by) => ({ time: TIME_COLUMN[by], columns: ROLLUP_COLUMNS.filter((column) => column.by === by) }))
  .filter((group) => group.columns.length > 0);

/**
 * Columns whose change can move a request's contribution (the same list as the SQLite update
 * trigger's WHEN; a unit test compares them), plus whether it has any send failure.
 */
export const WATCHED_COLUMNS = [
  'status',
  'sent_at',
  'opened_at',
  'paid_at',
  'amount',
  'currency',
  'channel',
  'team_id',
  'agent_id',
  'created_at',
] as const;

const BIN_VARIABLE: Record<Row, string> = { 'NEW.': 'new_bin', 'OLD.': 'old_bin' };

function pgRule(rule: RequestRule, p: string): string {
  const condition = ruleSql(rule, p);
  return condition === '1' ? 'TRUE' : condition;
}

function conditionSql(column: RollupColumn, p: string, bin: string): string {
  const rule = pgRule(column.where, p);
  if (column.payBin === undefined) return rule;
  return rule === 'TRUE' ? `${bin} = ${column.payBin}` : `${rule} AND ${bin} = ${column.payBin}`;
}

/** What one request adds to a value column, as an integer expression over its row. */
export function contributionPgSql(column: RollupColumn, p: string, bin: string): string {
  const condition = conditionSql(column, p, bin);
  const value = column.adds === 'amount' ? `${p}amount` : '1';
  return condition === 'TRUE' ? value : `(CASE WHEN ${condition} THEN ${value} ELSE 0 END)`;
}

function addsAnySql(columns: readonly RollupColumn[], p: string): string {
  const conditions = columns.map((column) => pgRule(column.where, p));
  if (conditions.includes('TRUE')) return 'TRUE';
  return [...new Set(conditions)].map((condition) => `(${condition})`).join(' OR ');
}

function where(...conditions: string[]): string {
  return conditions.filter((condition) => condition !== 'TRUE').join(' AND ') || 'TRUE';
}

function upsertSql(table: RollupTable, key: Record<string, string>, values: Record<string, string>, tail: string) {
  const names = Object.keys(values);
  const columns = [...table.key, ...names];
  const selected = [...table.key.map((column) => key[column]!), ...names.map((name) => values[name]!)];
  const updates = names.map((column) => `${column} = ${table.name}.${column} + excluded.${column}`).join(', ');
  return `INSERT INTO ${table.name} (${columns.join(', ')}) SELECT ${selected.join(', ')}${tail} ON CONFLICT (${table.key.join(', ')}) DO UPDATE SET ${updates};`;
}

function keySelect(table: RollupTable, p: string, time: string): Record<string, string> {
  return Object.fromEntries(
    table.key.map((column) => [column, column === 'bucket' ? cellSql(`${p}${time}`, table.cellMs) : `${p}${column}`]),
  );
}

function sameKeySql(table: RollupTable, time: string): string {
  return table.key
    .map((column) =>
      column === 'bucket'
        ? `${cellSql(`OLD.${time}`, table.cellMs)} = ${cellSql(`NEW.${time}`, table.cellMs)}`
        : `OLD.${column} = NEW.${column}`,
    )
    .join(' AND ');
}

function contributions(columns: readonly RollupColumn[], p: Row, sign: '+' | '-' = '+') {
  return Object.fromEntries(
    columns.map((column) => {
      const sql = contributionPgSql(column, p, BIN_VARIABLE[p]);
      return [column.name, sign === '-' ? `-${sql}` : sql];
    }),
  );
}

function rowStatements(table: RollupTable, p: Row, sign: '+' | '-'): string[] {
  return COLUMNS_BY_INSTANT.map(({ time, columns }) =>
    upsertSql(
      table,
      keySelect(table, p, time),
      contributions(columns, p, sign),
      ` WHERE ${where(`${p}${time} IS NOT NULL`, wrap(addsAnySql(columns, p)))}`,
    ),
  );
}

function wrap(condition: string): string {
  return condition === 'TRUE' ? condition : `(${condition})`;
}

/** An update moves the difference: new minus old in place when the cell is the same, else both. */
function updateStatements(table: RollupTable): string[] {
  return COLUMNS_BY_INSTANT.flatMap(({ time, columns }) => {
    const same = `(OLD.${time} IS NOT NULL AND ${sameKeySql(table, time)})`;
    const newC = contributions(columns, 'NEW.');
    const oldC = contributions(columns, 'OLD.');
    const delta = Object.fromEntries(
      columns.map(({ name }) => [name, `(${newC[name]} - CASE WHEN ${same} THEN ${oldC[name]} ELSE 0 END)`]),
    );
    const moved =
      addsAnySql(columns, 'NEW.') === 'TRUE'
        ? 'TRUE'
        : `(${Object.values(delta)
            .map((sql) => `${sql} <> 0`)
            .join(' OR ')})`;
    return [
      upsertSql(table, keySelect(table, 'NEW.', time), delta, ` WHERE ${where(`NEW.${time} IS NOT NULL`, moved)}`),
      upsertSql(
        table,
        keySelect(table, 'OLD.', time),
        contributions(columns, 'OLD.', '-'),
        ` WHERE ${where(
          `OLD.${time} IS NOT NULL`,
          wrap(addsAnySql(columns, 'OLD.')),
          `NOT (NEW.${time} IS NOT NULL AND ${sameKeySql(table, time)})`,
        )}`,
      ),
    ];
  });
}

function needsBins(): boolean {
  return ROLLUP_COLUMNS.some((column) => column.payBin !== undefined);
}

function functionSql(name: string, rows: readonly Row[], statements: string[], returned: Row): string {
  const bins = needsBins() ? rows : [];
  const declare = bins.length ? `DECLARE\n${bins.map((p) => `  ${BIN_VARIABLE[p]} integer;`).join('\n')}\n` : '';
  const assign = bins.map((p) => `  ${BIN_VARIABLE[p]} := ${payBinSql(p)};`);
  const body = [...assign, ...statements.map((statement) => `  ${statement}`), `  RETURN ${returned.slice(0, -1)};`];
  return `CREATE OR REPLACE FUNCTION ${name}() RETURNS trigger LANGUAGE plpgsql AS $$\n${declare}BEGIN\n${body.join('\n')}\nEND;\n$$;`;
}

export const TRIGGERS = ['metrics_rollup_insert', 'metrics_rollup_update', 'metrics_rollup_delete'] as const;

/** The trigger functions and triggers keeping every rollup table equal to the aggregate of payment_requests. */
export function rollupTriggerPgSql(): string[] {
  const tables = Object.values(ROLLUP_TABLES);
  const changed = [
    ...WATCHED_COLUMNS.map((column) => `OLD.${column} IS DISTINCT FROM NEW.${column}`),
    '(OLD.send_failures > 0) <> (NEW.send_failures > 0)',
  ];
  const [insert, update, remove] = TRIGGERS;
  return [
    functionSql(
      insert,
      ['NEW.'],
      tables.flatMap((table) => rowStatements(table, 'NEW.', '+')),
      'NEW.',
    ),
    functionSql(update, ['NEW.', 'OLD.'], tables.flatMap(updateStatements), 'NEW.'),
    functionSql(
      remove,
      ['OLD.'],
      tables.flatMap((table) => rowStatements(table, 'OLD.', '-')),
      'OLD.',
    ),
    `CREATE TRIGGER ${insert} AFTER INSERT ON payment_requests FOR EACH ROW EXECUTE FUNCTION ${insert}();`,
    `CREATE TRIGGER ${update} AFTER UPDATE ON payment_requests FOR EACH ROW WHEN (${changed.join(' OR ')}) EXECUTE FUNCTION ${update}();`,
    `CREATE TRIGGER ${remove} AFTER DELETE ON payment_requests FOR EACH ROW EXECUTE FUNCTION ${remove}();`,
  ];
}

/** Fills the rollups from an existing projection in one pass per table and instant (for a bulk copy with the triggers off). */
export function rollupBackfillPgSql(): string[] {
  return Object.values(ROLLUP_TABLES).flatMap((table) =>
    COLUMNS_BY_INSTANT.map(({ time, columns }) => {
      const values = Object.fromEntries(
        columns.map((column) => [column.name, `sum(${contributionPgSql(column, '', payBinSql(''))})`]),
      );
      const groupBy = table.key.map((_, i) => i + 1).join(', ');
      return upsertSql(
        table,
        keySelect(table, '', time),
        values,
        ` FROM payment_requests WHERE ${where(`${time} IS NOT NULL`, wrap(addsAnySql(columns, '')))} GROUP BY ${groupBy}`,
      );
    }),
  );
}

/** The custom migration's statements: the paid-time indexes (same SQL as SQLite's), functions, triggers. */
export function rollupMigrationPgSql(): string[] {
  return [...PAID_INDEX_SQL, ...rollupTriggerPgSql()];
}

/** The triggers migration-pg 0010 drops: the writer moves the rollups on insert and update (db/rollup-deltas.pg.ts). */
export const WRITER_MOVED_TRIGGERS_PG = [TRIGGERS[0], TRIGGERS[1]] as const;

/** Migration-pg 0009, as SQLite's 0014: the insert and update triggers and their functions go; delete keeps its own. */
export function writerTriggersDropPgSql(): string[] {
  return WRITER_MOVED_TRIGGERS_PG.flatMap((name) => [
    `DROP TRIGGER IF EXISTS ${name} ON payment_requests;`,
    `DROP FUNCTION IF EXISTS ${name}();`,
  ]);
}
