import { type Db, sqlRun } from '../../db/client';

/**
 * `rows` sent USD requests of one agent (ag_bulk, team tm_bulk) written straight into the projection,
 * one a second from 1793000000000: ids pr_000001…, amount i, order SO-i. For tests that need many rows
 * to read (exports, slow readers), not the ingest path. SQL both engines take: ids padded by substr of
 * 1000000 + i (no printf on PostgreSQL). `currencySql`: each row's currency as SQL over `i` (default USD).
 */
export async function insertBulkRequests(db: Db, rows: number, { currencySql = "'USD'" } = {}): Promise<void> {
  await sqlRun(db, "INSERT INTO teams (id, name, created_at) VALUES ('tm_bulk', 'Bulk', 0)");
  await sqlRun(db, "INSERT INTO agents (id, name, team_id, created_at) VALUES ('ag_bulk', 'Bulk Agent', 'tm_bulk', 0)");
  await sqlRun(
    db,
    `WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ${rows})
    INSERT INTO payment_requests (id, agent_id, team_id, amount, currency, channel, order_number, reason,
      customer_phone, status, created_at, sent_at, last_event_at, updated_at)
    SELECT 'pr_' || substr(CAST(1000000 + i AS TEXT), 2), 'ag_bulk', 'tm_bulk', i, ${currencySql}, 'sms',
      'SO-' || CAST(i AS TEXT), 'Bulk, item', '+15550001234', 'sent', 1793000000000 + i * 1000,
      1793000000000 + i * 1000 + 500, 0, 0 FROM n`,
  );
}
