import Database from 'better-sqlite3';
import { getTableConfig as getPgTableConfig, PgTable } from 'drizzle-orm/pg-core';
import type pg from 'pg';
import {
  compareProjection,
  projectionEvent,
  STORED_EVENT_COLUMNS,
  type StoredEvent,
} from '../app/read/projection-check.server';
import { getExpirySettings } from '../app/read/settings.server';
import { openDatabase } from '../db/client';
import { DAY_MS, PENDING_ROLLUPS, ROLLUP_TABLES, rollupCellsSql } from '../db/metrics-rollups';
import { rollupBackfillPgSql } from '../db/metrics-rollups.pg';
import { migrateDatabase } from '../db/migrate';
import { registerPackedCounts, sqliteRollupValueSql } from '../db/packed-counts';
import { migratePostgres, openPostgres, redactUrl } from '../db/pg-client';
import * as pgSchema from '../db/schema.pg';

/**
 * `npm run cli -- copy-database --from data/app.db --to postgres://…` (issue 13): copies an SQLite
 * database into an empty PostgreSQL one, then checks the copy. Tables and columns come from
 * db/schema.pg.ts (held equal to db/schema.ts by tests/unit/schema-pg-parity.test.ts), so a new table
 * is copied without a change here. The rollup tables are not copied: PostgreSQL's are rebuilt from the
 * copied projection by its own backfill (db/metrics-rollups.pg.ts), so the check of the last 90 days'
 * metrics compares two independent computations, not a copy with itself.
 */

const ROLLUP_NAMES = new Set<string>(Object.values(ROLLUP_TABLES).map((table) => table.name));
const CHUNK_ROWS = 5_000;

interface TableSpec {
  name: string;
  /** `generated`: PostgreSQL computes it (the events' type and source codes), so the copy reads it but never writes it. */
  columns: { name: string; sqlType: string; generated: boolean }[];
  /** The primary key's columns: the order both engines are read in when compared. */
  key: string[];
  isRollup: boolean;
}

/** Every table of db/schema.pg.ts, parents before children (foreign keys). */
export function copyOrder(): TableSpec[] {
  const tables = (Object.values(pgSchema) as unknown[]).filter((value): value is PgTable => value instanceof PgTable);
  const configs = new Map(tables.map((table) => [getPgTableConfig(table).name, getPgTableConfig(table)]));
  const ordered: TableSpec[] = [];
  const done = new Set<string>();
  const visit = (name: string, path: string[]) => {
    if (done.has(name)) return;
    if (path.includes(name)) throw new Error(`foreign keys form a cycle: ${[...path, name].join(' -> ')}`);
    const config = configs.get(name)!;
    for (const foreignKey of config.foreignKeys) {
      const parent = getPgTableConfig(foreignKey.reference().foreignTable).name;
      if (parent !== name) visit(parent, [...path, name]);
    }
    done.add(name);
    const primary = config.columns.filter((column) => column.primary).map((column) => column.name);
    const composite = config.primaryKeys[0]?.columns.map((column) => column.name) ?? [];
    ordered.push({
      name,
      columns: config.columns.map((column) => ({
        name: column.name,
        sqlType: column.getSQLType(),
        generated: column.generated !== undefined,
      })),
      key: primary.length > 0 ? primary : composite,
      isRollup: ROLLUP_NAMES.has(name),
    });
  };
  for (const name of [...configs.keys()].sort()) visit(name, []);
  return ordered;
}

/** PostgreSQL's COLLATE "C" and SQLite's BINARY compare UTF-8 bytes, not UTF-16 units as JS's < does. */
const byteOrder = (a: string, b: string) => Buffer.compare(Buffer.from(a), Buffer.from(b));

const quote = (name: string) => `"${name.replaceAll('"', '""')}"`;

/** A value as SQLite holds it, as PostgreSQL's column takes it (booleans are 0/1 in SQLite). */
function toPg(value: unknown, sqlType: string): unknown {
  if (value === null || value === undefined) return null;
  if (sqlType === 'boolean') return value === 1 || value === true;
  return value;
}

/** A value from either engine in one comparable form. */
function comparable(value: unknown, sqlType: string): unknown {
  if (value === null || value === undefined) return null;
  if (sqlType === 'boolean') return value === 1 || value === true;
  if (Buffer.isBuffer(value)) return `\\x${value.toString('hex')}`;
  return value;
}

/** ORDER BY of a table's key, byte order on both engines (SQLite BINARY; PostgreSQL COLLATE "C"). */
function orderBy(table: TableSpec, engine: 'sqlite' | 'pg'): string {
  return table.key
    .map((name) => {
      const type = table.columns.find((column) => column.name === name)?.sqlType;
      return engine === 'pg' && type === 'text' ? `${quote(name)} COLLATE "C"` : quote(name);
    })
    .join(', ');
}

async function insertChunk(client: pg.PoolClient, table: TableSpec, rows: unknown[][]): Promise<void> {
  const written = table.columns.flatMap((column, i) => (column.generated ? [] : [{ ...column, i }]));
  const names = written.map((column) => quote(column.name)).join(', ');
  const arrays = written.map((column) => rows.map((row) => row[column.i]));
  const unnest = written.map((column, n) => `$${n + 1}::${column.sqlType}[]`).join(', ');
  await client.query(`INSERT INTO ${quote(table.name)} (${names}) SELECT * FROM unnest(${unnest})`, arrays);
}

export interface CopyResult {
  tables: { name: string; rows: number }[];
  ms: number;
}

/**
 * Copies `from` (an SQLite file, migrated first) into the PostgreSQL database at `to` (migrated
 * here), which must hold no rows. One PostgreSQL transaction: an interrupted copy leaves it empty.
 * The source is read in one read transaction, a consistent snapshot even while a server writes.
 */
export async function copyDatabase(
  from: string,
  to: string,
  log: (line: string) => void = () => {},
): Promise<CopyResult> {
  const started = performance.now();
  const migrated = openDatabase(from);
  migrateDatabase(migrated);
  migrated.$client.close();
  const source = new Database(from, { readonly: true, fileMustExist: true });
  const pool = openPostgres(to, { max: 1 });
  const client = await pool.connect();
  const tables: CopyResult['tables'] = [];
  try {
    await migratePostgres(client);
    const order = copyOrder();
    for (const table of order) {
      const { rows } = await client.query(`SELECT EXISTS (SELECT 1 FROM ${quote(table.name)}) AS taken`);
      if (rows[0].taken) throw new Error(`${redactUrl(to)} is not empty: table ${table.name} has rows`);
    }
    source.exec('BEGIN');
    await client.query('BEGIN');
    // The rollups are rebuilt at the end by one set-based pass, not by a trigger per copied row.
    await client.query('ALTER TABLE payment_requests DISABLE TRIGGER USER');
    for (const table of order.filter((spec) => !spec.isRollup)) {
      const select = source
        .prepare(`SELECT ${table.columns.map((column) => quote(column.name)).join(', ')} FROM ${quote(table.name)}`)
        .raw();
      let chunk: unknown[][] = [];
      let count = 0;
      for (const row of select.iterate() as IterableIterator<unknown[]>) {
        chunk.push(row.map((value, i) => toPg(value, table.columns[i]!.sqlType)));
        if (chunk.length === CHUNK_ROWS) {
          await insertChunk(client, table, chunk);
          count += chunk.length;
          chunk = [];
        }
      }
      if (chunk.length > 0) await insertChunk(client, table, chunk);
      count += chunk.length;
      if (table.columns.some((column) => column.name === 'seq')) {
        // Identity columns: the next value after the copied ones.
        await client.query(
          `SELECT setval(pg_get_serial_sequence('${table.name}', 'seq'), COALESCE(max(seq), 0) + 1, false) FROM ${quote(table.name)}`,
        );
      }
      tables.push({ name: table.name, rows: count });
      log(`  ${table.name}: ${count.toLocaleString('en')} rows`);
    }
    for (const statement of rollupBackfillPgSql()) await client.query(statement);
    await client.query('ALTER TABLE payment_requests ENABLE TRIGGER USER');
    await client.query('COMMIT');
    source.exec('COMMIT');
  } catch (error) {
    await client.query('ROLLBACK').catch(() => {});
    if (source.inTransaction) source.exec('ROLLBACK');
    throw error;
  } finally {
    client.release();
    await pool.end();
    source.close();
  }
  return { tables, ms: performance.now() - started };
}

export interface VerifyResult {
  /** Tables whose rows differ between the engines: the first differing key and column. */
  tableDifferences: { table: string; key: string; detail: string }[];
  requestsChecked: number;
  /** PostgreSQL projections that the replay of PostgreSQL's events does not give. */
  projectionDifferences: { requestId: string; fields: Record<string, [unknown, unknown]> }[];
  rollupCells: number;
  rollupDifferences: { table: string; key: string; detail: string }[];
  /** Headline metrics of the last `days` days, from PostgreSQL's rollups (equal on SQLite when no difference). */
  totals: { sent: number; paid: number; paidAmountByCurrency: Record<string, number> };
}

/** Reads a PostgreSQL cursor in chunks (plain DECLARE/FETCH: no extra package). */
async function* cursorRows(client: pg.PoolClient, name: string, query: string, params: unknown[] = []) {
  await client.query(`DECLARE ${name} NO SCROLL CURSOR FOR ${query}`, params);
  for (;;) {
    const { rows } = await client.query(`FETCH ${CHUNK_ROWS} FROM ${name}`);
    if (rows.length === 0) break;
    yield* rows as Record<string, unknown>[];
  }
  await client.query(`CLOSE ${name}`);
}

/**
 * Checks a copy: every table (but the rollups) row for row and column for column; every request's
 * PostgreSQL projection against the replay of its PostgreSQL events; and the rollup cells of the last
 * `days` days (what the metrics read), SQLite's kept by its triggers against PostgreSQL's backfill.
 */
export async function verifyCopy(from: string, to: string, options: { days?: number; now?: number } = {}) {
  const days = options.days ?? 90;
  const now = options.now ?? Date.now();
  const since = Math.floor(now / DAY_MS) * DAY_MS - (days - 1) * DAY_MS;
  const source = new Database(from, { readonly: true, fileMustExist: true });
  registerPackedCounts(source);
  const settingsDb = openDatabase(from);
  const settings = await getExpirySettings(settingsDb);
  settingsDb.$client.close();
  const pool = openPostgres(to, { max: 1 });
  const client = await pool.connect();
  const result: VerifyResult = {
    tableDifferences: [],
    requestsChecked: 0,
    projectionDifferences: [],
    rollupCells: 0,
    rollupDifferences: [],
    totals: { sent: 0, paid: 0, paidAmountByCurrency: {} },
  };
  try {
    source.exec('BEGIN');
    await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
    const order = copyOrder();
    for (const table of order) {
      const rollup = table.isRollup;
      const columns = table.columns;
      const names = columns.map((column) => quote(column.name)).join(', ');
      // SQLite's rollup counts are packed in one column (db/packed-counts.ts): read a column each.
      const sqliteNames = rollup
        ? columns.map((column) => `${sqliteRollupValueSql(column.name)} AS ${quote(column.name)}`).join(', ')
        : names;
      const where = rollup ? ' WHERE bucket >= ?' : '';
      // A cell of an agent table is its row there plus its pending row (rollupCellsSql), each table
      // filtered before the two are summed by cell.
      const withPending = PENDING_ROLLUPS.find((entry) => entry.table.name === table.name)?.table;
      const sqliteFrom = withPending
        ? rollupCellsSql(withPending, 'bucket >= ?', true)
        : `${quote(table.name)}${where}`;
      const left = source
        .prepare(`SELECT ${sqliteNames} FROM ${sqliteFrom} ORDER BY ${orderBy(table, 'sqlite')}`)
        .raw()
        .iterate(...(withPending ? [since, since] : rollup ? [since] : [])) as IterableIterator<unknown[]>;
      const right = cursorRows(
        client,
        `copy_${table.name}`,
        `SELECT ${names} FROM ${quote(table.name)}${rollup ? ' WHERE bucket >= $1' : ''} ORDER BY ${orderBy(table, 'pg')}`,
        rollup ? [since] : [],
      );
      const differences = rollup ? result.rollupDifferences : result.tableDifferences;
      const keyOf = (values: unknown[]) =>
        table.key.map((name) => String(values[columns.findIndex((column) => column.name === name)])).join('/');
      // Rollup rows whose values are all zero are the same as no row (a cell emptied by later changes).
      const zero = (values: unknown[]) =>
        rollup && columns.every((column, i) => table.key.includes(column.name) || values[i] === 0);
      const nextLeft = () => {
        for (let next = left.next(); !next.done; next = left.next()) if (!zero(next.value)) return next.value;
        return undefined;
      };
      const nextRight = async () => {
        for (let next = await right.next(); !next.done; next = await right.next()) {
          const values = columns.map((column) => next.value[column.name]);
          if (!zero(values)) return values;
        }
        return undefined;
      };
      let a = nextLeft();
      let b = await nextRight();
      let differing = false;
      while (a || b) {
        if (!a || !b) {
          differences.push({
            table: table.name,
            key: keyOf((a ?? b)!),
            detail: a ? 'only in SQLite' : 'only in PostgreSQL',
          });
          differing = true;
          break;
        }
        const column = columns.findIndex(
          (spec, i) => comparable(a![i], spec.sqlType) !== comparable(b![i], spec.sqlType),
        );
        if (column >= 0) {
          differences.push({
            table: table.name,
            key: keyOf(a),
            detail: `${columns[column]!.name}: SQLite ${JSON.stringify(comparable(a[column], columns[column]!.sqlType))}, PostgreSQL ${JSON.stringify(comparable(b[column], columns[column]!.sqlType))}`,
          });
          differing = true;
          break;
        }
        if (rollup) result.rollupCells += 1;
        if (rollup && table.name === ROLLUP_TABLES.day.name) {
          const row = Object.fromEntries(columns.map((spec, i) => [spec.name, b![i]])) as Record<string, number>;
          result.totals.sent += row.sent ?? 0;
          result.totals.paid += row.paid ?? 0;
          const currency = String(row.currency);
          result.totals.paidAmountByCurrency[currency] =
            (result.totals.paidAmountByCurrency[currency] ?? 0) + (row.paid_amount ?? 0);
        }
        a = nextLeft();
        b = await nextRight();
      }
      if (differing) {
        left.return?.();
        await right.return(undefined);
        await client.query(`CLOSE copy_${table.name}`).catch(() => {});
      }
    }
    // Every PostgreSQL projection against the replay of PostgreSQL's events (merge by request id).
    const projections = cursorRows(client, 'copy_projection', 'SELECT * FROM payment_requests ORDER BY id COLLATE "C"');
    const events = cursorRows(
      client,
      'copy_events',
      `SELECT ${STORED_EVENT_COLUMNS} FROM events ORDER BY request_id COLLATE "C", seq`,
    );
    let row = (await projections.next()).value as Record<string, unknown> | undefined;
    let event = (await events.next()).value as StoredEvent | undefined;
    while (event) {
      const requestId = event.request_id;
      const group = [];
      while (event && event.request_id === requestId) {
        group.push(projectionEvent(event));
        event = (await events.next()).value as StoredEvent | undefined;
      }
      while (row && byteOrder(String(row.id), requestId) < 0) {
        result.projectionDifferences.push({ requestId: String(row.id), fields: { row: ['present', 'missing'] } });
        row = (await projections.next()).value as Record<string, unknown> | undefined;
      }
      const stored = row && row.id === requestId ? row : undefined;
      const difference = compareProjection(requestId, group, stored, settings);
      result.requestsChecked += 1;
      if (difference) result.projectionDifferences.push(difference);
      if (stored) row = (await projections.next()).value as Record<string, unknown> | undefined;
    }
    while (row) {
      result.projectionDifferences.push({ requestId: String(row.id), fields: { row: ['present', 'missing'] } });
      row = (await projections.next()).value as Record<string, unknown> | undefined;
    }
    await client.query('COMMIT');
    source.exec('COMMIT');
  } finally {
    if (source.inTransaction) source.exec('ROLLBACK');
    client.release();
    await pool.end();
    source.close();
  }
  return result;
}
