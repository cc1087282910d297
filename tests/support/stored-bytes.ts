import { existsSync, readFileSync } from 'node:fs';
import { expect } from 'vitest';
import { type Db, onPostgres } from '../../db/client';
import { queryRows } from './db';

/**
 * Everything the database holds, as bytes read as latin1. On PostgreSQL every text, json and bytea
 * column of every table, in every schema but the system's. On SQLite the database file and its WAL as they are on disk (SQLite's
 * own: PostgreSQL's files are the server's, not this process's to read).
 */
export async function storedBytes(db: Db, file: string): Promise<string> {
  if (onPostgres(db)) {
    const columns = await queryRows<{ schema: string; table: string; column: string; type: string }>(
      db,
      `SELECT c.table_schema AS "schema", c.table_name AS "table", c.column_name AS "column", c.data_type AS type
       FROM information_schema.columns c
       JOIN information_schema.tables t ON t.table_schema = c.table_schema AND t.table_name = c.table_name
       WHERE c.table_schema NOT IN ('pg_catalog', 'information_schema') AND t.table_type = 'BASE TABLE'
         AND c.data_type IN ('text', 'character varying', 'character', 'json', 'jsonb', 'bytea')
       ORDER BY 1, 2, 3`,
    );
    expect(columns.length).toBeGreaterThan(50);
    const values: Buffer[] = [];
    for (const { schema, table, column, type } of columns) {
      // bytea comes back as a Buffer, its bytes as stored; json as its text.
      const value = type === 'bytea' ? `"${column}"` : `CAST("${column}" AS text)`;
      const rows = await queryRows<{ v: string | Buffer }>(
        db,
        `SELECT ${value} AS v FROM "${schema}"."${table}" WHERE "${column}" IS NOT NULL`,
      );
      for (const { v } of rows) values.push(Buffer.isBuffer(v) ? v : Buffer.from(v), Buffer.from('\n'));
    }
    return Buffer.concat(values).toString('latin1');
  }
  // SQLite: the file and its WAL, whichever holds the rows (a checkpoint moves them from one to the other).
  const files = [file, `${file}-wal`].filter((path) => existsSync(path));
  return Buffer.concat(files.map((path) => readFileSync(path))).toString('latin1');
}
