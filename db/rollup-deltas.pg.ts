import type { RollupTable } from './metrics-rollups';
import { ROLLUP_TABLES } from './metrics-rollups';
import { ROLLUP_GROUPS, ROLLUP_ROW_SQL, type RollupDelta, type RollupGroup } from './rollup-deltas';

/**
 * The writer's rollup deltas (db/rollup-deltas.ts) on PostgreSQL (issue 13), where they replace the
 * insert and update triggers (migration-pg 0010): a trigger moves the cells of each changed request
 * in the order its rows are written, so two instances' batches sharing cells could take their row
 * locks in opposite orders and deadlock. Written here, every transaction locks the cells in one
 * global order (table, instant, key), one multi-row upsert per table and instant.
 */

/** ROLLUP_ROW_SQL with its aliases quoted: PostgreSQL folds a bare `teamId` to `teamid`. */
export const ROLLUP_ROW_PG_SQL = ROLLUP_ROW_SQL.replace(/ AS (\w+)/g, ' AS "$1"');

type Query = (text: string, values?: unknown[]) => Promise<unknown>;

/** Rows per upsert: a few dozen parameters each, well under PostgreSQL's 65,535 a statement. */
const UPSERT_ROWS = 500;

/** Adds each delta to its cell, every table's cells in key order: the same order in every transaction. */
export async function flushRollupDeltasPostgres(query: Query, deltas: readonly RollupDelta[]): Promise<number> {
  let written = 0;
  for (const table of Object.values(ROLLUP_TABLES)) {
    for (const group of ROLLUP_GROUPS) {
      const cells = deltas
        .filter((delta) => delta.table.name === table.name && delta.group.by === group.by)
        .sort((a, b) => compareKeys(a.key, b.key));
      for (let start = 0; start < cells.length; start += UPSERT_ROWS) {
        const slice = cells.slice(start, start + UPSERT_ROWS);
        await query(
          rollupUpsertPgSql(table, group, slice.length),
          slice.flatMap((cell) => [...cell.key, ...cell.values]),
        );
      }
      written += cells.length;
    }
  }
  return written;
}

function compareKeys(a: readonly (string | number)[], b: readonly (string | number)[]): number {
  for (let i = 0; i < a.length; i++) {
    if (a[i] === b[i]) continue;
    return a[i]! < b[i]! ? -1 : 1;
  }
  return 0;
}

/** One upsert adding `rows` cells' deltas of a group to a table (SET names the table: bare is ambiguous). */
export function rollupUpsertPgSql(table: RollupTable, group: RollupGroup, rows: number): string {
  const names = group.columns.map((column) => column.name);
  const columns = [...table.key, ...names];
  let parameter = 0;
  const values = Array.from({ length: rows }, () => `(${columns.map(() => `$${++parameter}`).join(', ')})`);
  const updates = names.map((name) => `${name} = ${table.name}.${name} + excluded.${name}`).join(', ');
  return `INSERT INTO ${table.name} (${columns.join(', ')}) VALUES ${values.join(', ')} ON CONFLICT (${table.key.join(', ')}) DO UPDATE SET ${updates}`;
}
