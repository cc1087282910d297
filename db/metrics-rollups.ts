import {
  HISTOGRAM_COLUMNS as HISTOGRAM,
  PAID,
  PAID_AMOUNT_COLUMN,
  PAY_BIN_EDGES_MS,
  PAY_BINS,
  type RangeInstant,
  type RequestRule,
  ROLLUP_COLUMNS,
  type RollupColumn,
} from '../app/domain/metric-table';
import { PACKED_COLUMNS, sqliteRollupValueSql } from './packed-counts';
import { sentPeriodSql } from './sent-period';

/**
 * Rollups of the SPEC §3 counts. The ingest moves them in its write transaction, one upsert per cell a
 * batch touches (db/rollup-deltas.ts computes the same moves in JavaScript); since migration 0014
 * only the delete trigger remains (the demo reset deletes requests with plain SQL). The insert and
 * update triggers below are what migrations 0002–0009 installed, and what PostgreSQL still runs
 * (db/metrics-rollups.pg.ts). Their value columns and what each request adds to them come from the
 * metric table (app/domain/metric-table.ts): this file only turns those definitions into SQL.
 *
 * Each table sums, per UTC time cell and dimensions, what each request in S adds (by sentAt) plus
 * the send failures (by createdAt), and a histogram of time to pay in PAY_BIN_EDGES_MS bins: the
 * queries find the bin holding a percentile's rank there, then read only that bin's exact values.
 *
 * Cells are UTC 15 minutes or UTC days: every zone's midnight falls on a 15-minute boundary, so any
 * range of local days is whole cells; day cells cover the middle, 15-minute cells the edges.
 */

export { PAY_BIN_EDGES_MS, PAY_BINS };

/**
 * How SQLite's rollup tables store their values: since migration 0027 'packed' (the counts in one
 * TEXT column, db/packed-counts.ts, the amount a column), before it 'wide' (a column each, as
 * PostgreSQL's still are). The SQL below is written for the packed tables unless told 'wide': the
 * older migrations' SQL, which tests hold equal to it, is wide.
 */
export type RollupLayout = 'packed' | 'wide';

export const QUARTER_HOUR_MS = 900_000;
export const DAY_MS = 86_400_000;

export type RollupDimension = 'team_id' | 'agent_id' | 'channel' | 'currency';

export interface RollupTable {
  name: string;
  cellMs: number;
  /** Primary key order: the leading columns are the ones lookups seek on. */
  key: readonly ('bucket' | RollupDimension)[];
}

export const ROLLUP_TABLES = {
  quarterHour: {
    name: 'metrics_rollup_15m',
    cellMs: QUARTER_HOUR_MS,
    key: ['bucket', 'team_id', 'agent_id', 'channel', 'currency'],
  },
  day: { name: 'metrics_rollup_day', cellMs: DAY_MS, key: ['bucket', 'team_id', 'currency'] },
  agentDay: { name: 'metrics_rollup_agent_day', cellMs: DAY_MS, key: ['agent_id', 'bucket', 'team_id', 'currency'] },
  agentChannelDay: {
    name: 'metrics_rollup_agent_channel_day',
    cellMs: DAY_MS,
    key: ['agent_id', 'channel', 'bucket', 'team_id', 'currency'],
  },
} as const satisfies Record<string, RollupTable>;

export function rollupDimensions(table: RollupTable): RollupDimension[] {
  return table.key.filter((column): column is RollupDimension => column !== 'bucket');
}

/** The value columns every rollup table keeps, one count or sum each, in the metric table's order. */
export const VALUE_COLUMNS: readonly string[] = ROLLUP_COLUMNS.map((column) => column.name);
export const HISTOGRAM_COLUMNS: readonly string[] = HISTOGRAM.map((column) => column.name);

const TIME_COLUMN: Record<RangeInstant, string> = { sentAt: 'sent_at', createdAt: 'created_at' };

/** The value columns placed in time by each instant: one upsert per instant and table. */
const COLUMNS_BY_INSTANT: readonly { time: string; columns: readonly RollupColumn[] }[] = (
  Object.keys(TIME_COLUMN) as RangeInstant[]
)
  .map((by) => ({ time: TIME_COLUMN[by], columns: ROLLUP_COLUMNS.filter((column) => column.by === by) }))
  .filter((group) => group.columns.length > 0);

function quoted(value: string): string {
  return `'${value.replace(/'/g, "''")}'`;
}

/** A rule of the metric table as a condition on a payment_requests row; `p` is a prefix such as 'NEW.'. */
export function ruleSql(rule: RequestRule, p = ''): string {
  const parts: string[] = [];
  if (rule.statuses)
    parts.push(
      rule.statuses.length === 1
        ? `${p}status = ${quoted(rule.statuses[0]!)}`
        : `${p}status IN (${rule.statuses.map(quoted).join(', ')})`,
    );
  if (rule.opened !== undefined) parts.push(`${p}opened_at IS ${rule.opened ? 'NOT NULL' : 'NULL'}`);
  if (rule.sendFailed) parts.push(`${p}send_failures > 0`);
  return parts.length === 0 ? '1' : parts.join(' AND ');
}

/** The histogram bin of a paid request's time to pay; `p` is a column prefix such as 'NEW.'. */
export function payBinSql(p = ''): string {
  const cases = PAY_BIN_EDGES_MS.map((edge, bin) => `WHEN ${p}paid_at - ${p}sent_at < ${edge} THEN ${bin}`).join(' ');
  return `(CASE ${cases} ELSE ${PAY_BINS - 1} END)`;
}

function conditionSql(column: RollupColumn, p: string, bin: string): string {
  const rule = ruleSql(column.where, p);
  if (column.payBin === undefined) return rule;
  return rule === '1' ? `${bin} = ${column.payBin}` : `${rule} AND ${bin} = ${column.payBin}`;
}

/** What one request adds to a value column, as SQL over its row; `bin` is its pay bin. */
export function contributionSql(column: RollupColumn, p: string, bin: string): string {
  const condition = conditionSql(column, p, bin);
  if (column.adds === 'amount')
    return condition === '1' ? `${p}amount` : `(CASE WHEN ${condition} THEN ${p}amount ELSE 0 END)`;
  return condition === '1' ? '1' : `(${condition})`;
}

/** Whether a row adds to any of the columns ('1' when one of them counts every row). */
function addsAnySql(columns: readonly RollupColumn[], p: string): string {
  const conditions = columns.map((column) => ruleSql(column.where, p));
  if (conditions.includes('1')) return '1';
  return [...new Set(conditions)].map((condition) => `(${condition})`).join(' OR ');
}

/** Start of the cell holding a timestamp (floor, also before 1970). */
export function cellSql(expression: string, cellMs: number): string {
  return `(${expression} - ((${expression} % ${cellMs}) + ${cellMs}) % ${cellMs})`;
}

function upsertSql(
  table: RollupTable,
  key: Record<string, string>,
  values: Record<string, string>,
  from: string,
  where: string,
  layout: RollupLayout = 'packed',
): string {
  const stored = layout === 'packed' ? packedValues(values) : values;
  const names = Object.keys(stored);
  const columns = [...table.key, ...names];
  const selected = [...table.key.map((column) => key[column]!), ...names.map((name) => stored[name]!)];
  const updates = names.map((column) => rollupAddSql(column, layout)).join(', ');
  return `INSERT INTO ${table.name} (${columns.join(', ')}) SELECT ${selected.join(', ')}${from} WHERE ${where} ON CONFLICT (${table.key.join(', ')}) DO UPDATE SET ${updates};`;
}

/**
 * An upsert's SET of a stored column: itself plus the same column of `excluded` (the packed counts
 * add with counts_add). The writer's upserts use it too (db/rollup-deltas.ts).
 */
export function rollupAddSql(column: string, layout: RollupLayout = 'packed'): string {
  return layout === 'packed' && column === 'counts'
    ? 'counts = counts_add(counts, excluded.counts)'
    : `${column} = ${column} + excluded.${column}`;
}

/**
 * Value columns as the packed tables store them: the counts among `values` packed into `counts`
 * (counts_pack, 0 for those not given), any other column (the amount) as it is.
 */
function packedValues(values: Record<string, string>): Record<string, string> {
  const counts = PACKED_COLUMNS.map((column) => values[column] ?? '0');
  const rest = Object.entries(values).filter(([name]) => !PACKED_COLUMNS.includes(name));
  return counts.some((sql) => sql !== '0')
    ? { counts: `counts_pack(${counts.join(', ')})`, ...Object.fromEntries(rest) }
    : Object.fromEntries(rest);
}

function keySelect(table: RollupTable, p: string, timeColumn: string): Record<string, string> {
  return Object.fromEntries(
    table.key.map((column) => [
      column,
      column === 'bucket' ? cellSql(`${p}${timeColumn}`, table.cellMs) : `${p}${column}`,
    ]),
  );
}

function sameKeySql(table: RollupTable, timeColumn: string): string {
  return table.key
    .map((column) =>
      column === 'bucket'
        ? `${cellSql(`OLD.${timeColumn}`, table.cellMs)} = ${cellSql(`NEW.${timeColumn}`, table.cellMs)}`
        : `OLD.${column} = NEW.${column}`,
    )
    .join(' AND ');
}

function contributions(columns: readonly RollupColumn[], p: string, bin: string, sign: '+' | '-' = '+') {
  return Object.fromEntries(
    columns.map((column) => {
      const sql = contributionSql(column, p, bin);
      return [column.name, sign === '-' ? `-${sql}` : sql];
    }),
  );
}

function needsBin(columns: readonly RollupColumn[]): boolean {
  return columns.some((column) => column.payBin !== undefined);
}

/** The pay bins of the NEW and/or OLD row, computed once per statement. */
function binsFrom(columns: readonly RollupColumn[], rows: readonly ('NEW.' | 'OLD.')[]): string {
  if (!needsBin(columns)) return ' FROM (SELECT 1)';
  const selected = rows.map((p) => `${payBinSql(p)} AS ${p === 'NEW.' ? 'nb' : 'ob'}`);
  return ` FROM (SELECT ${selected.join(', ')}) AS bins`;
}

function where(...conditions: string[]): string {
  return conditions.filter((condition) => condition !== '1').join(' AND ') || '1';
}

/** A row's whole contribution added (+) or removed (−): inserts and deletes of requests. */
function rowStatements(table: RollupTable, p: 'NEW.' | 'OLD.', sign: '+' | '-', layout: RollupLayout): string[] {
  const bin = p === 'NEW.' ? 'bins.nb' : 'bins.ob';
  return COLUMNS_BY_INSTANT.map(({ time, columns }) => {
    const adds = addsAnySql(columns, p);
    return upsertSql(
      table,
      keySelect(table, p, time),
      contributions(columns, p, bin, sign),
      binsFrom(columns, [p]),
      where(`${p}${time} IS NOT NULL`, adds === '1' ? '1' : `(${adds})`),
      layout,
    );
  });
}

/** An update moves the difference: new minus old in place when the cell is the same, else both. */
function updateStatements(table: RollupTable, layout: RollupLayout): string[] {
  return COLUMNS_BY_INSTANT.flatMap(({ time, columns }) => {
    const same = `(OLD.${time} IS NOT NULL AND ${sameKeySql(table, time)})`;
    const newC = contributions(columns, 'NEW.', 'bins.nb');
    const oldC = contributions(columns, 'OLD.', 'bins.ob');
    const delta = Object.fromEntries(
      columns.map(({ name }) => [name, `(${newC[name]} - CASE WHEN ${same} THEN ${oldC[name]} ELSE 0 END)`]),
    );
    // A group with a column every row adds to always moves; otherwise skip rows that add nothing.
    const conditional = addsAnySql(columns, 'NEW.') !== '1';
    const moved = conditional
      ? `(${Object.values(delta)
          .map((sql) => `${sql} != 0`)
          .join(' OR ')})`
      : '1';
    const oldAdds = addsAnySql(columns, 'OLD.');
    return [
      upsertSql(
        table,
        keySelect(table, 'NEW.', time),
        delta,
        binsFrom(columns, ['NEW.', 'OLD.']),
        where(`NEW.${time} IS NOT NULL`, moved),
        layout,
      ),
      upsertSql(
        table,
        keySelect(table, 'OLD.', time),
        contributions(columns, 'OLD.', 'bins.ob', '-'),
        binsFrom(columns, ['OLD.']),
        where(
          `OLD.${time} IS NOT NULL`,
          oldAdds === '1' ? '1' : `(${oldAdds})`,
          `NOT (NEW.${time} IS NOT NULL AND ${sameKeySql(table, time)})`,
        ),
        layout,
      ),
    ];
  });
}

/** Columns whose change can move a request's contribution. */
const WATCHED = [
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
];

const TRIGGERS = ['metrics_rollup_insert', 'metrics_rollup_update', 'metrics_rollup_delete'] as const;

/** The triggers keeping every rollup table equal to the aggregate of payment_requests. */
export function rollupTriggerSql(layout: RollupLayout = 'packed'): string[] {
  const tables = Object.values(ROLLUP_TABLES);
  const changed = [
    ...WATCHED.map((c) => `OLD.${c} IS NOT NEW.${c}`),
    '(OLD.send_failures > 0) != (NEW.send_failures > 0)',
  ];
  return [
    `CREATE TRIGGER ${TRIGGERS[0]} AFTER INSERT ON payment_requests BEGIN\n${tables
      .flatMap((table) => rowStatements(table, 'NEW.', '+', layout))
      .join('\n')}\nEND;`,
    `CREATE TRIGGER ${TRIGGERS[1]} AFTER UPDATE ON payment_requests WHEN ${changed.join(' OR ')} BEGIN\n${tables
      .flatMap((table) => updateStatements(table, layout))
      .join('\n')}\nEND;`,
    `CREATE TRIGGER ${TRIGGERS[2]} AFTER DELETE ON payment_requests BEGIN\n${tables
      .flatMap((table) => rowStatements(table, 'OLD.', '-', layout))
      .join('\n')}\nEND;`,
  ];
}

/** Fills the rollups from the existing projection (a migration runs it once). */
export function rollupBackfillSql(layout: RollupLayout = 'packed'): string[] {
  return Object.values(ROLLUP_TABLES).flatMap((table) =>
    COLUMNS_BY_INSTANT.map(({ time, columns }) => {
      const key = keySelect(table, '', time);
      const values = Object.fromEntries(
        Object.entries(contributions(columns, '', payBinSql())).map(([name, sql]) => [name, `sum(${sql})`]),
      );
      const adds = addsAnySql(columns, '');
      const groupBy = table.key.map((_, i) => i + 1).join(', ');
      const statement = upsertSql(
        table,
        key,
        values,
        ' FROM payment_requests',
        where(`${time} IS NOT NULL`, adds === '1' ? '1' : `(${adds})`),
        layout,
      );
      return statement.replace(' ON CONFLICT', ` GROUP BY ${groupBy} ON CONFLICT`);
    }),
  );
}

/** Sub-bins per histogram bin in the SQLite paid-time indexes (paySubBinSql). */
export const PAY_SUB_BINS = 32;
/** Width of the open last bin's sub-bins (the last sub-bin is open too). */
const LAST_BIN_STEP_MS = 900_000;

/**
 * The sub-bin of a paid request's time to pay: bin × PAY_SUB_BINS plus the 32nd of the bin it
 * falls in (the open last bin in steps of LAST_BIN_STEP_MS). Integer arithmetic only, the same on
 * both engines. With sub-bins first in the index, the rows of a bin in a range are counted per
 * sub-bin (index steps, no sort), and only the sub-bin holding the rank is sorted: at 1M requests
 * a 365-day median reads 12.4 ms as one sort of its bin, 3.1 ms this way.
 */
export function paySubBinSql(p = ''): string {
  const ttp = `${p}paid_at - ${p}sent_at`;
  const cases = PAY_BIN_EDGES_MS.map((edge, bin) => {
    const low = bin === 0 ? 0 : PAY_BIN_EDGES_MS[bin - 1]!;
    // Bin 0 also holds a payment stamped before its send: sub-bin 0, not a negative one.
    const part =
      bin === 0
        ? `(CASE WHEN ${ttp} < 0 THEN 0 ELSE (${ttp}) * ${PAY_SUB_BINS} / ${edge} END)`
        : `(${ttp} - ${low}) * ${PAY_SUB_BINS} / ${edge - low}`;
    return `WHEN ${ttp} < ${edge} THEN ${bin * PAY_SUB_BINS} + ${part}`;
  }).join(' ');
  const last = PAY_BINS - 1;
  const low = PAY_BIN_EDGES_MS[last - 1]!;
  const openFrom = low + (PAY_SUB_BINS - 1) * LAST_BIN_STEP_MS;
  return `(CASE ${cases} WHEN ${ttp} < ${openFrom} THEN ${last * PAY_SUB_BINS} + (${ttp} - ${low}) / ${LAST_BIN_STEP_MS} ELSE ${last * PAY_SUB_BINS + PAY_SUB_BINS - 1} END)`;
}

/** The sub-bins of a histogram bin, in order. */
export function subBinsOf(bin: number): number[] {
  return Array.from({ length: PAY_SUB_BINS }, (_, i) => bin * PAY_SUB_BINS + i);
}

/** SQLite's paid-time indexes of migration 0019, sub-bin first (see paySubBinSql): replaced by 0022's. */
export const PAID_SUB_BIN_INDEX_SQL: readonly string[] = [
  `CREATE INDEX pr_paid_sub_bin_idx ON payment_requests (${paySubBinSql()}, sent_at, paid_at, team_id, agent_id, channel, currency) WHERE ${ruleSql(PAID)};`,
  `CREATE INDEX pr_paid_agent_sub_bin_idx ON payment_requests (agent_id, ${paySubBinSql()}, sent_at, paid_at, team_id, channel, currency) WHERE ${ruleSql(PAID)};`,
];

/**
 * SQLite's paid-time indexes since migration 0022: the 30-day period of sent_at, then the sub-bin
 * (db/sent-period.ts): a new paid request's entry lands among its period's, not anywhere in history.
 */
export const PAID_SUB_BIN_INDEXES = {
  all: 'pr_paid_period_sub_bin_idx',
  agent: 'pr_paid_agent_period_sub_bin_idx',
} as const;
export const PAID_PERIOD_INDEX_SQL: readonly string[] = [
  `CREATE INDEX ${PAID_SUB_BIN_INDEXES.all} ON payment_requests (${sentPeriodSql()}, ${paySubBinSql()}, sent_at, paid_at, team_id, agent_id, channel, currency) WHERE ${ruleSql(PAID)};`,
  `CREATE INDEX ${PAID_SUB_BIN_INDEXES.agent} ON payment_requests (agent_id, ${sentPeriodSql()}, ${paySubBinSql()}, sent_at, paid_at, team_id, channel, currency) WHERE ${ruleSql(PAID)};`,
];

/**
 * Exact times to pay are read from paid requests through these, bin first: PostgreSQL's, and
 * SQLite's until migration 0019 replaced them with PAID_SUB_BIN_INDEX_SQL.
 */
export const PAID_INDEX_SQL: readonly string[] = [
  `CREATE INDEX pr_paid_bin_idx ON payment_requests (${payBinSql()}, sent_at, paid_at, team_id, agent_id, channel, currency) WHERE ${ruleSql(PAID)};`,
  `CREATE INDEX pr_paid_agent_bin_idx ON payment_requests (agent_id, ${payBinSql()}, sent_at, paid_at, team_id, channel, currency) WHERE ${ruleSql(PAID)};`,
];

/** A rollup table as the migration creates it (WITHOUT ROWID: rows live in primary-key order). */
export function rollupTableSql(table: RollupTable, layout: RollupLayout = 'packed'): string {
  const key = table.key.map((column) => `\t\`${column}\` ${column === 'bucket' ? 'integer' : 'text'} NOT NULL,`);
  const values =
    layout === 'packed'
      ? [`\t\`counts\` text DEFAULT '' NOT NULL,`, `\t\`${PAID_AMOUNT_COLUMN.name}\` integer DEFAULT 0 NOT NULL,`]
      : VALUE_COLUMNS.map((column) => `\t\`${column}\` integer DEFAULT 0 NOT NULL,`);
  const primary = `\tPRIMARY KEY(${table.key.map((column) => `\`${column}\``).join(', ')})`;
  return `CREATE TABLE \`${table.name}\` (\n${[...key, ...values, primary].join('\n')}\n) WITHOUT ROWID;`;
}

/**
 * SQL reading a rollup table a value column each, as PostgreSQL stores it (SQLite's packed counts
 * unpacked by counts_get): key columns, then VALUE_COLUMNS by name, in key order; on SQLite a cell's
 * pending row added (rollupCellsSql). For checks and the copy's comparison, not for the metrics (they
 * sum the packed text: counts_sum).
 */
export function wideRollupSql(table: RollupTable, engine: 'sqlite' | 'postgres', where = ''): string {
  const values = VALUE_COLUMNS.map((column) =>
    engine === 'sqlite' ? `${sqliteRollupValueSql(column)} AS ${column}` : column,
  );
  const from = engine === 'sqlite' ? rollupCellsSql(table, '', true) : table.name;
  return `SELECT ${[...table.key, ...values].join(', ')} FROM ${from}${where ? ` WHERE ${where}` : ''} ORDER BY ${table.key.join(', ')}`;
}

/**
 * SQLite's agent-first day tables (issue 14), each with a small day-first table of pending deltas
 * (migration 0029): the writers add a cell's delta there, and fold the pending rows into the agent
 * table once they number PENDING_FOLD_ROWS (db/rollup-deltas.ts). In an agent-first table each
 * (agent) or (agent, channel) run of a long history ends on a page of its own, so a batch naming 25
 * agents wrote ~125 pages of these two tables at 1M requests (20 in an empty database); the pending
 * table keeps today's cells together in a few pages, and a fold writes each run's tail once for
 * thousands of cells. A cell's value is the sum of its row in both tables: readers read both
 * (the metrics reader a query each, checks `rollupCellsSql`). PostgreSQL writes the agent tables directly.
 */
export const PENDING_ROLLUPS: readonly { table: RollupTable; pending: RollupTable }[] = [
  ROLLUP_TABLES.agentDay,
  ROLLUP_TABLES.agentChannelDay,
].map((table) => ({
  table,
  pending: {
    name: `${table.name}_pending`,
    cellMs: table.cellMs,
    key: ['bucket', ...table.key.filter((column) => column !== 'bucket')],
  },
}));

/** Pending rows at which a writer folds them into the agent tables (and so their bound). */
export const PENDING_FOLD_ROWS = 4_096;

/** The pending table of an SQLite rollup table, or null (the 15-minute and day tables have none). */
export function pendingRollupOf(table: RollupTable): RollupTable | null {
  return PENDING_ROLLUPS.find((entry) => entry.table.name === table.name)?.pending ?? null;
}

const STORED_ROLLUP_VALUES = ['counts', PAID_AMOUNT_COLUMN.name];

/**
 * An SQLite rollup table's rows as a FROM item: the table itself, or the rows of it and of its pending
 * table (`where`, if any, applied to each: its parameters are then needed twice). With `byCell`, one
 * row a cell (the two summed by key), as checks compare them. The metrics reader does not use it: it
 * sums the pending table by a query of its own (a UNION would lose the agent-first order).
 */
export function rollupCellsSql(table: RollupTable, where = '', byCell = false): string {
  const pending = pendingRollupOf(table);
  const filter = where ? ` WHERE ${where}` : '';
  if (!pending) return `${table.name}${filter}`;
  const columns = [...table.key, ...STORED_ROLLUP_VALUES].join(', ');
  const both = `SELECT ${columns} FROM ${table.name}${filter} UNION ALL SELECT ${columns} FROM ${pending.name}${filter}`;
  if (!byCell) return `(${both}) AS ${table.name}`;
  const key = table.key.join(', ');
  return `(SELECT ${key}, counts_sum(counts) AS counts, sum(${PAID_AMOUNT_COLUMN.name}) AS ${PAID_AMOUNT_COLUMN.name} FROM (${both}) GROUP BY ${key}) AS ${table.name}`;
}

/** Empties every rollup table, on SQLite the pending tables too: the first step of a rebuild from the projection. */
export function rollupClearSql(engine: 'sqlite' | 'postgres'): string[] {
  const pending = engine === 'sqlite' ? PENDING_ROLLUPS.map((entry) => entry.pending) : [];
  return [...Object.values(ROLLUP_TABLES), ...pending].map((table) => `DELETE FROM ${table.name}`);
}

/** Migration 0029: the pending tables, empty (nothing is pending before it). */
export function pendingRollupTablesSql(): string[] {
  return PENDING_ROLLUPS.map(({ pending }) => rollupTableSql(pending, 'packed'));
}

/**
 * Moves every pending row into its agent table (added to the cell's row there, in the agent table's
 * key order) and empties the pending tables. Run inside a write transaction.
 */
export function foldPendingRollupsSql(): string[] {
  return PENDING_ROLLUPS.flatMap(({ table, pending }) => {
    const columns = [...table.key, ...STORED_ROLLUP_VALUES].join(', ');
    const updates = STORED_ROLLUP_VALUES.map((name) => rollupAddSql(name)).join(', ');
    return [
      `INSERT INTO ${table.name} (${columns}) SELECT ${columns} FROM ${pending.name} WHERE true ORDER BY ${table.key.join(', ')} ON CONFLICT (${table.key.join(', ')}) DO UPDATE SET ${updates}`,
      `DELETE FROM ${pending.name}`,
    ];
  });
}

/** The triggers migration 0014 dropped: the writer moves the rollups on insert and update. */
export const WRITER_MOVED_TRIGGERS = [TRIGGERS[0], TRIGGERS[1]] as const;

/**
 * The migration that rebuilds the rollups (after their columns changed): drop the triggers and the
 * tables, create them again, then the delete trigger (`withWriterTriggers`: all three, as migration
 * 0009 did), then fill them from the projection. The paid-time indexes do not depend on the value
 * columns and stay. A test keeps migration 0009 equal to this with the writer triggers.
 */
export function rollupRebuildSql(options: { withWriterTriggers?: boolean; layout?: RollupLayout } = {}): string[] {
  const layout = options.layout ?? 'packed';
  const tables = Object.values(ROLLUP_TABLES);
  const triggers = rollupTriggerSql(layout);
  return [
    ...TRIGGERS.map((name) => `DROP TRIGGER IF EXISTS ${name};`),
    ...tables.map((table) => `DROP TABLE IF EXISTS ${table.name};`),
    ...tables.map((table) => rollupTableSql(table, layout)),
    ...(options.withWriterTriggers ? triggers : [triggers[2]!]),
    ...rollupBackfillSql(layout),
  ];
}

/**
 * Migration 0027: SQLite's wide rollup tables become packed (db/packed-counts.ts), their rows kept.
 * The delete trigger goes first (it names the tables), each table is renamed aside, created packed
 * under its name, filled from the wide one (counts_pack of its count columns) and the wide one
 * dropped; then the delete trigger is created again for the packed tables.
 */
export function rollupPackSql(): string[] {
  const tables = Object.values(ROLLUP_TABLES);
  return [
    `DROP TRIGGER IF EXISTS ${TRIGGERS[2]};`,
    ...tables.flatMap((table) => {
      const wide = `${table.name}_wide`;
      const key = table.key.join(', ');
      return [
        `ALTER TABLE ${table.name} RENAME TO ${wide};`,
        rollupTableSql(table, 'packed'),
        `INSERT INTO ${table.name} (${key}, counts, ${PAID_AMOUNT_COLUMN.name}) SELECT ${key}, counts_pack(${PACKED_COLUMNS.join(', ')}), ${PAID_AMOUNT_COLUMN.name} FROM ${wide} ORDER BY ${key};`,
        `DROP TABLE ${wide};`,
      ];
    }),
    rollupTriggerSql('packed')[2]!,
  ];
}

/** Migration 0014: the insert and update triggers go (the rollups already stored are correct). */
export function writerTriggersDropSql(): string[] {
  return WRITER_MOVED_TRIGGERS.map((name) => `DROP TRIGGER IF EXISTS ${name};`);
}

/**
 * Fills empty rollup tables from the projection, for the bulk generator (seed/bulk.ts): one pass
 * per instant over payment_requests into the 15-minute table, each row's pay bin computed once (the
 * migration's backfill repeats it in every histogram column: 30 times slower at a million rows),
 * then each day table as a sum of the 15-minute cells (a UTC day is whole 15-minute cells).
 */
export function rollupBulkFillSql(): string[] {
  const quarter = ROLLUP_TABLES.quarterHour;
  const fromRequests = COLUMNS_BY_INSTANT.map(({ time, columns }) => {
    const values = Object.fromEntries(
      Object.entries(contributions(columns, '', 'pb')).map(([name, sql]) => [name, `sum(${sql})`]),
    );
    const adds = addsAnySql(columns, '');
    const rows = where(`${time} IS NOT NULL`, adds === '1' ? '1' : `(${adds})`);
    // MATERIALIZED: a flattened subquery would put the bin's CASE back into every column.
    const binned = `WITH binned AS MATERIALIZED (SELECT *, ${payBinSql()} AS pb FROM payment_requests WHERE ${rows}) `;
    const groupBy = quarter.key.map((_, i) => i + 1).join(', ');
    return `${binned}${upsertSql(quarter, keySelect(quarter, '', time), values, ' FROM binned', '1').replace(
      ' ON CONFLICT',
      ` GROUP BY ${groupBy} ON CONFLICT`,
    )}`;
  });
  const dayTables = Object.values(ROLLUP_TABLES).filter((table) => table.cellMs === DAY_MS);
  const fromQuarters = dayTables.map((table) => {
    const key = table.key.map((column) => (column === 'bucket' ? cellSql('bucket', DAY_MS) : column));
    const groupBy = table.key.map((_, i) => i + 1).join(', ');
    // The tables are empty: one row a cell, no conflict.
    return `INSERT INTO ${table.name} (${table.key.join(', ')}, counts, ${PAID_AMOUNT_COLUMN.name}) SELECT ${key.join(', ')}, counts_sum(counts), sum(${PAID_AMOUNT_COLUMN.name}) FROM ${quarter.name} GROUP BY ${groupBy};`;
  });
  return [...fromRequests, ...fromQuarters];
}
