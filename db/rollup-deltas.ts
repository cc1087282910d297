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
import { PACKED_COLUMNS, packSome } from './packed-counts';

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
  /** Counts, then amounts: an amount summed past 2^53 is a bigint (exact; see addAmount). */
  values: (number | bigint)[];
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

/**
 * What a row adds to a group's columns, found once per kind of row (status, opened, send failed, pay
 * bin: what contributionOf reads besides the time and the amount) instead of checking every column's
 * rule for every row: the columns it adds 1 to, those it adds its amount to. contributionOf's null
 * (it adds to none) is a null Adds.
 */
interface Adds {
  ones: readonly number[];
  amounts: readonly number[];
}

/** Kinds of row a status can have in a group: opened × send failed, × the pay bins if the group has any. */
function kindsOf(group: RollupGroup): number {
  return group.columns.some((column) => column.payBin !== undefined) ? 4 * PAY_BINS : 4;
}

/**
 * contributionOf for every row of `row`'s kind: the columns it gives 1, those it gives the amount
 * (read with an amount of 1, so that every column the row adds to is non-zero).
 */
function addsOf(group: RollupGroup, row: RollupRow): Adds | null {
  const values = contributionOf(group, { ...row, amount: 1 });
  if (!values) return null;
  const ones: number[] = [];
  const amounts: number[] = [];
  values.forEach((value, i) => {
    if (value !== 0) (group.columns[i]!.adds === 'amount' ? amounts : ones).push(i);
  });
  return { ones, amounts };
}

/** A table and a group: the cells of a batch and the upsert writing them are per slot. */
interface Slot {
  table: RollupTable;
  group: RollupGroup;
  /** Where it is in SLOTS (and its upsert in upsertsFor's list). */
  index: number;
}

interface CompiledGroup {
  group: RollupGroup;
  time: 'sentAt' | 'createdAt';
  binned: boolean;
  /** By status, then by kind (addsFor), what a row of it adds (null: nothing; undefined: not found yet). */
  adds: Map<string, (Adds | null | undefined)[]>;
  slots: readonly Slot[];
}

const SLOTS: Slot[] = [];
const COMPILED: readonly CompiledGroup[] = ROLLUP_GROUPS.map((group) => ({
  group,
  time: TIME[group.by],
  binned: kindsOf(group) > 4,
  adds: new Map(),
  slots: TABLES.map((table) => {
    const slot = { table, group, index: SLOTS.length };
    SLOTS.push(slot);
    return slot;
  }),
}));

function addsFor(compiled: CompiledGroup, row: RollupRow): Adds | null {
  // All that ruleHolds reads of a row (a rule on anything else needs it here too), and its pay bin
  // when the group keeps a histogram.
  let kind = (row.openedAt !== null ? 1 : 0) + (row.sendFailures > 0 ? 2 : 0);
  if (compiled.binned) kind += 4 * payBinOf(row);
  let kinds = compiled.adds.get(row.status);
  if (!kinds) {
    kinds = new Array<Adds | null | undefined>(kindsOf(compiled.group)).fill(undefined);
    compiled.adds.set(row.status, kinds);
  }
  let adds = kinds[kind];
  if (adds === undefined) {
    adds = addsOf(compiled.group, row);
    kinds[kind] = adds;
  }
  return adds;
}

/** A slot's cells: a map per key column but the last, by its value, then the cells by the last one. */
type CellTree = Map<string | number, CellTree | RollupDelta>;

/** A key column's value for a row (cellKey's). */
function keyValue(
  table: RollupTable,
  column: RollupTable['key'][number],
  time: number,
  row: RollupRow,
): string | number {
  return column === 'bucket' ? cellOf(time, table.cellMs) : (row[DIMENSION[column]!] as string);
}

/** Rollup deltas summed per cell over many projection changes (one batch), written once each. */
export class RollupDeltaSums {
  /**
   * Per slot, its cells by key values (cellKey's), one level a column. No strings are built: the key
   * values are ids, channels and currencies checked at ingest (no NUL in them), so cells are those of
   * a key joined by NUL.
   */
  private readonly cells: CellTree[] = SLOTS.map(() => new Map());
  /** Every cell, in the order they were first touched. */
  private readonly order: { slot: Slot; cell: RollupDelta }[] = [];

  /** Records the move of one request's row from `old` to `next` (null: absent). */
  add(old: RollupRow | null, next: RollupRow | null): void {
    if (old && next && sameRollupRow(old, next)) return;
    if (old) this.addRow(old, -1);
    if (next) this.addRow(next, 1);
  }

  private addRow(row: RollupRow, sign: 1 | -1): void {
    for (const compiled of COMPILED) {
      const time = row[compiled.time];
      if (time === null) continue;
      const adds = addsFor(compiled, row);
      if (!adds) continue;
      const { ones, amounts } = adds;
      const amount = sign * row.amount;
      for (const slot of compiled.slots) {
        const { table } = slot;
        let cells = this.cells[slot.index]!;
        const last = table.key.length - 1;
        for (let k = 0; k < last; k++) {
          const value = keyValue(table, table.key[k]!, time, row);
          let next = cells.get(value) as CellTree | undefined;
          if (!next) {
            next = new Map();
            cells.set(value, next);
          }
          cells = next;
        }
        const id = keyValue(table, table.key[last]!, time, row);
        let cell = cells.get(id) as RollupDelta | undefined;
        if (!cell) {
          cell = {
            table,
            group: slot.group,
            key: cellKey(table, slot.group, row),
            values: new Array<number | bigint>(slot.group.columns.length).fill(0),
          };
          cells.set(id, cell);
          this.order.push({ slot, cell });
        }
        const values = cell.values;
        for (let i = 0; i < ones.length; i++) (values[ones[i]!] as number) += sign;
        for (let i = 0; i < amounts.length; i++) values[amounts[i]!] = addAmount(values[amounts[i]!]!, amount);
      }
    }
  }

  /** The summed deltas, cells whose every delta is zero left out. */
  deltas(): RollupDelta[] {
    const deltas: RollupDelta[] = [];
    for (const { cell } of this.order) if (!isZero(cell.values)) deltas.push(cell);
    return deltas;
  }

  /**
   * Writes every non-zero cell with one upsert each (call inside the write transaction), then forgets
   * them. The agent tables' cells go to their pending tables, folded in once they are full.
   */
  flush(sqlite: Database.Database): number {
    const upserts = upsertsFor(sqlite);
    let written = 0;
    let pending = 0;
    for (const { slot, cell } of this.order) {
      if (isZero(cell.values)) continue;
      const upsert = upserts[slot.index]!;
      upsert.statement.run(...upsert.parameters(cell.key, cell.values));
      written += 1;
      if (upsert.pending) pending += 1;
    }
    for (const cells of this.cells) cells.clear();
    this.order.length = 0;
    foldWhenFull(sqlite, pending);
    return written;
  }
}

/**
 * a + b exactly: one request's amount is a safe integer, but a batch's amounts in one cell can sum
 * past 2^53, where a double rounds (three of 2^53 - 1 read ...972, not ...973). A number while the
 * sum is safe (the usual case, no BigInt cost), else a bigint; both engines bind either.
 */
function addAmount(a: number | bigint, b: number): number | bigint {
  if (typeof a === 'number') {
    const sum = a + b;
    if (Number.isSafeInteger(sum)) return sum;
  }
  const sum = BigInt(a) + BigInt(b);
  return sum >= MIN_SAFE && sum <= MAX_SAFE ? Number(sum) : sum;
}
const MIN_SAFE = BigInt(Number.MIN_SAFE_INTEGER);
const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);

function isZero(values: readonly (number | bigint)[]): boolean {
  for (let i = 0; i < values.length; i++) if (values[i] !== 0) return false;
  return true;
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
 * and its parameters: the key, then the group's counts packed, then its amount if it has one. They
 * come in one array, the same for every call (bound at once; spread: better-sqlite3 binds arguments
 * faster than an array's elements, measured).
 */
function rollupUpsert(
  table: RollupTable,
  group: RollupGroup,
  /** The table written: `table` or its pending table (the same columns, given in `table`'s key order). */
  into: string = table.name,
): {
  sql: string;
  parameters: (key: readonly (string | number)[], values: readonly (number | bigint)[]) => (string | number | bigint)[];
} {
  const places = group.columns.map((column) => PACKED_COLUMNS.indexOf(column.name));
  const amounts = places.flatMap((place, i) => (place < 0 ? [i] : []));
  const stored = ['counts', ...amounts.map((i) => group.columns[i]!.name)];
  const columns = [...table.key, ...stored];
  const updates = stored.map((name) => rollupAddSql(name)).join(', ');
  // The group's counts in PACKED_COLUMNS order: the order packCounts writes them in.
  const packed = places.flatMap((place, i) => (place < 0 ? [] : [{ place, i }])).sort((a, b) => a.place - b.place);
  const packedPlaces = packed.map(({ place }) => place);
  const packedValues = packed.map(({ i }) => i);
  const keys = table.key.length;
  const parameters = new Array<string | number | bigint>(columns.length).fill(0);
  return {
    sql: `INSERT INTO ${into} (${columns.join(', ')}) VALUES (${columns.map(() => '?').join(', ')}) ON CONFLICT (${table.key.join(', ')}) DO UPDATE SET ${updates}`,
    parameters(key, values) {
      for (let i = 0; i < keys; i++) parameters[i] = key[i]!;
      // The packed places are counts, always numbers (only amounts grow into bigints).
      parameters[keys] = packSome(values as readonly number[], packedValues, packedPlaces);
      for (let i = 0; i < amounts.length; i++) parameters[keys + 1 + i] = values[amounts[i]!]!;
      return parameters;
    },
  };
}

interface Upsert {
  statement: Database.Statement;
  parameters: (key: readonly (string | number)[], values: readonly (number | bigint)[]) => (string | number | bigint)[];
  /** Whether it writes a pending table. */
  pending: boolean;
}

/** Per connection, the upsert of each slot (SLOTS order). */
const upsertCache = new WeakMap<Database.Database, Upsert[]>();

function upsertsFor(sqlite: Database.Database): Upsert[] {
  let upserts = upsertCache.get(sqlite);
  if (!upserts) {
    upserts = SLOTS.map(({ table, group }) => {
      const pending = pendingRollupOf(table);
      const upsert = rollupUpsert(table, group, pending?.name);
      return { statement: sqlite.prepare(upsert.sql), parameters: upsert.parameters, pending: pending !== null };
    });
    upsertCache.set(sqlite, upserts);
  }
  return upserts;
}
