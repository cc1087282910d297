import type Database from 'better-sqlite3';
import {
  PAY_BIN_EDGES_MS,
  PAY_BINS,
  type RangeInstant,
  type RequestRule,
  ROLLUP_COLUMNS,
  type RollupColumn,
} from '../app/domain/metric-table';
import {
  foldPendingRollupsSql,
  PENDING_FOLD_ROWS,
  PENDING_ROLLUPS,
  pendingRollupOf,
  ROLLUP_TABLES,
  type RollupTable,
  rollupAddSql,
} from './metrics-rollups';
import { PACKED_COLUMNS, packCounts } from './packed-counts';

/**
 * The rollups' moves computed in the writer instead of by triggers (issue 14): what a projection
 * change (old row → new row, either null) adds to each rollup cell, from the same metric table the
 * SQL of db/metrics-rollups.ts is generated from. The ingest sums the deltas of a whole batch in a
 * RollupDeltaSums and writes each touched cell once, in the same write transaction as the
 * projection: a batch of 1,000 events moves a few dozen cells instead of running 16 trigger upserts
 * per changed request.
 */

/** The columns of a payment_requests row that place it in the rollups and decide what it adds. */
export interface RollupRow {
  status: string;
  amount: number;
  currency: string;
  channel: string;
  teamId: string;
  agentId: string;
  createdAt: number;
  sentAt: number | null;
  openedAt: number | null;
  paidAt: number | null;
  sendFailures: number;
}

/** The SQL selecting a RollupRow's columns from payment_requests (with the names above). */
export const ROLLUP_ROW_SQL =
  'status, amount, currency, channel, team_id AS teamId, agent_id AS agentId, created_at AS createdAt, sent_at AS sentAt, opened_at AS openedAt, paid_at AS paidAt, send_failures AS sendFailures';

const TIME: Record<RangeInstant, 'sentAt' | 'createdAt'> = { sentAt: 'sentAt', createdAt: 'createdAt' };
const DIMENSION: Record<string, keyof RollupRow> = {
  team_id: 'teamId',
  agent_id: 'agentId',
  channel: 'channel',
  currency: 'currency',
};

/** The value columns placed in time by one instant: one upsert per instant and table. */
export interface RollupGroup {
  by: RangeInstant;
  columns: readonly RollupColumn[];
}

export const ROLLUP_GROUPS: readonly RollupGroup[] = (['sentAt', 'createdAt'] as const)
  .map((by) => ({ by, columns: ROLLUP_COLUMNS.filter((column) => column.by === by) }))
  .filter((group) => group.columns.length > 0);

export function ruleHolds(rule: RequestRule, row: RollupRow): boolean {
  if (rule.statuses && !(rule.statuses as readonly string[]).includes(row.status)) return false;
  if (rule.opened !== undefined && (row.openedAt !== null) !== rule.opened) return false;
  if (rule.sendFailed && !(row.sendFailures > 0)) return false;
  return true;
}

/** The histogram bin of a row's time to pay, as payBinSql computes it (the last bin when unknown). */
export function payBinOf(row: RollupRow): number {
  if (row.paidAt === null || row.sentAt === null) return PAY_BINS - 1;
  const ms = row.paidAt - row.sentAt;
  for (let bin = 0; bin < PAY_BIN_EDGES_MS.length; bin++) if (ms < PAY_BIN_EDGES_MS[bin]!) return bin;
  return PAY_BINS - 1;
}

/** Start of the cell holding a timestamp (floor, also before 1970), as cellSql. */
export function cellOf(time: number, cellMs: number): number {
  return time - (((time % cellMs) + cellMs) % cellMs);
}

/** What a row adds to each column of a group (null when it adds to none: no row is written then). */
export function contributionOf(group: RollupGroup, row: RollupRow): number[] | null {
  if (row[TIME[group.by]] === null) return null;
  let bin = -1;
  let any = false;
  const values = group.columns.map((column) => {
    if (!ruleHolds(column.where, row)) return 0;
    any = true;
    if (column.payBin !== undefined) {
      if (bin < 0) bin = payBinOf(row);
      if (bin !== column.payBin) return 0;
    }
    return column.adds === 'amount' ? row.amount : 1;
  });
  return any ? values : null;
}

/** A rollup cell's key values in its table's key order. */
export function cellKey(table: RollupTable, group: RollupGroup, row: RollupRow): (string | number)[] {
  return table.key.map((column) =>
    column === 'bucket' ? cellOf(row[TIME[group.by]] as number, table.cellMs) : (row[DIMENSION[column]!] as string),
  );
}

export interface RollupDelta {
  table: RollupTable;
  group: RollupGroup;
  key: (string | number)[];
  values: number[];
}

/** What replacing `old` by `next` (null: no row) adds to the rollup cells, zero deltas left out. */
export function rollupDeltas(old: RollupRow | null, next: RollupRow | null): RollupDelta[] {
  const sums = new RollupDeltaSums();
  sums.add(old, next);
  return sums.deltas();
}

const TABLES: readonly RollupTable[] = Object.values(ROLLUP_TABLES);

function sameRollupRow(a: RollupRow, b: RollupRow): boolean {
  return (
    a.status === b.status &&
    a.amount === b.amount &&
    a.currency === b.currency &&
    a.channel === b.channel &&
    a.teamId === b.teamId &&
    a.agentId === b.agentId &&
    a.createdAt === b.createdAt &&
    a.sentAt === b.sentAt &&
    a.openedAt === b.openedAt &&
    a.paidAt === b.paidAt &&
    a.sendFailures > 0 === b.sendFailures > 0
  );
}

/** Rollup deltas summed per cell over many projection changes (one batch), written once each. */
export class RollupDeltaSums {
  private readonly cells = new Map<string, RollupDelta>();

  /** Records the move of one request's row from `old` to `next` (null: absent). */
  add(old: RollupRow | null, next: RollupRow | null): void {
    if (old && next && sameRollupRow(old, next)) return;
    if (old) this.addRow(old, -1);
    if (next) this.addRow(next, 1);
  }

  private addRow(row: RollupRow, sign: 1 | -1): void {
    for (const group of ROLLUP_GROUPS) {
      const values = contributionOf(group, row);
      if (!values) continue;
      for (const table of TABLES) {
        const key = cellKey(table, group, row);
        const id = `${table.name}\u0000${group.by}\u0000${key.join('\u0000')}`;
        let cell = this.cells.get(id);
        if (!cell) {
          cell = { table, group, key, values: new Array<number>(values.length).fill(0) };
          this.cells.set(id, cell);
        }
        for (let i = 0; i < values.length; i++) cell.values[i]! += sign * values[i]!;
      }
    }
  }

  /** The summed deltas, cells whose every delta is zero left out. */
  deltas(): RollupDelta[] {
    return [...this.cells.values()].filter((cell) => cell.values.some((value) => value !== 0));
  }

  /**
   * Writes every non-zero cell with one upsert each (call inside the write transaction), then forgets
   * them. The agent tables' cells go to their pending tables, folded in once they are full.
   */
  flush(sqlite: Database.Database): number {
    const statements = upsertsFor(sqlite);
    let written = 0;
    let pending = 0;
    for (const cell of this.deltas()) {
      const upsert = statements.get(`${cell.table.name}\u0000${cell.group.by}`)!;
      upsert.statement.run(...cell.key, ...upsert.parameters(cell.values));
      written += 1;
      if (upsert.pending) pending += 1;
    }
    this.cells.clear();
    foldWhenFull(sqlite, pending);
    return written;
  }
}

/**
 * Per connection, an upper bound of the pending rows (each upsert adds one row at most) since they were
 * last counted: they are counted only when it reaches PENDING_FOLD_ROWS, so a batch pays no count.
 */
const pendingBound = new WeakMap<Database.Database, number>();

function foldWhenFull(sqlite: Database.Database, added: number): void {
  const bound = (pendingBound.get(sqlite) ?? 0) + added;
  if (bound < PENDING_FOLD_ROWS) {
    pendingBound.set(sqlite, bound);
    return;
  }
  const rows = Math.max(
    ...PENDING_ROLLUPS.map(
      ({ pending }) => (sqlite.prepare(`SELECT count(*) AS n FROM ${pending.name}`).get() as { n: number }).n,
    ),
  );
  if (rows >= PENDING_FOLD_ROWS) foldPendingRollups(sqlite);
  pendingBound.set(sqlite, rows >= PENDING_FOLD_ROWS ? 0 : rows);
}

/** Adds every pending cell to its agent table and empties the pending tables (inside a write transaction). */
export function foldPendingRollups(sqlite: Database.Database): void {
  for (const sql of foldPendingRollupsSql()) sqlite.prepare(sql).run();
}

/**
 * The upsert adding a group's deltas to a cell of an SQLite rollup table (packed: db/packed-counts.ts),
 * and the parameters it takes after the key: the group's counts packed, then its amount if it has one.
 */
function rollupUpsert(
  table: RollupTable,
  group: RollupGroup,
  /** The table written: `table` or its pending table (the same columns, given in `table`'s key order). */
  into: string = table.name,
): { sql: string; parameters: (values: readonly number[]) => (string | number)[] } {
  const places = group.columns.map((column) => PACKED_COLUMNS.indexOf(column.name));
  const amounts = places.flatMap((place, i) => (place < 0 ? [i] : []));
  const stored = ['counts', ...amounts.map((i) => group.columns[i]!.name)];
  const columns = [...table.key, ...stored];
  const updates = stored.map((name) => rollupAddSql(name)).join(', ');
  const packed = new Array<number>(PACKED_COLUMNS.length);
  return {
    sql: `INSERT INTO ${into} (${columns.join(', ')}) VALUES (${columns.map(() => '?').join(', ')}) ON CONFLICT (${table.key.join(', ')}) DO UPDATE SET ${updates}`,
    parameters(values) {
      packed.fill(0);
      places.forEach((place, i) => {
        if (place >= 0) packed[place] = values[i]!;
      });
      return [packCounts(packed), ...amounts.map((i) => values[i]!)];
    },
  };
}

interface Upsert {
  statement: Database.Statement;
  parameters: (values: readonly number[]) => (string | number)[];
  /** Whether it writes a pending table. */
  pending: boolean;
}

const upsertCache = new WeakMap<Database.Database, Map<string, Upsert>>();

function upsertsFor(sqlite: Database.Database): Map<string, Upsert> {
  let statements = upsertCache.get(sqlite);
  if (!statements) {
    statements = new Map();
    for (const table of TABLES)
      for (const group of ROLLUP_GROUPS) {
        const pending = pendingRollupOf(table);
        const upsert = rollupUpsert(table, group, pending?.name);
        statements.set(`${table.name}\u0000${group.by}`, {
          statement: sqlite.prepare(upsert.sql),
          parameters: upsert.parameters,
          pending: pending !== null,
        });
      }
    upsertCache.set(sqlite, statements);
  }
  return statements;
}
