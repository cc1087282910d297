/**
 * Issue 14's experiment on exact time-to-pay percentiles at scale (docs/performance.md, session 8):
 * the median of the last 1, 90 and 365 days read as today (the bin's rows in the range, sorted: the
 * `pr_paid_bin_idx` seek) and by walking an index ordered by time to pay within the bin
 * (`pr_paid_ttp_idx`, made for the run and dropped after). Prints the milliseconds of each.
 *
 *   npx tsx scripts/percentile-walk.ts tmp/bench/app-10m.db
 */
import Database from 'better-sqlite3';
import { PAID } from '../app/domain/metric-table';
import { payBinSql, ruleSql } from '../db/metrics-rollups';

const file = process.argv[2];
if (!file) throw new Error('usage: scripts/percentile-walk.ts DATABASE.db');
const db = new Database(file);
const bin = payBinSql();
const paid = ruleSql(PAID);
let started = performance.now();
db.exec(
  `CREATE INDEX pr_paid_ttp_idx ON payment_requests (${bin}, paid_at - sent_at, sent_at, team_id, agent_id, channel, currency) WHERE ${paid}`,
);
console.log(`pr_paid_ttp_idx made in ${Math.round(performance.now() - started)} ms`);
try {
  const max = db.prepare('SELECT max(sent_at) FROM payment_requests').pluck().get() as number;
  const histogram = db.prepare(
    `SELECT ${bin} AS b, count(*) AS n FROM payment_requests WHERE ${paid} AND sent_at >= ? AND sent_at < ? GROUP BY 1 ORDER BY 1`,
  );
  for (const days of [1, 90, 365]) {
    const start = max - days * 86_400_000;
    const bins = histogram.all(start, max + 1) as { b: number; n: number }[];
    const total = bins.reduce((sum, row) => sum + row.n, 0);
    let before = 0;
    const median = bins.find((row) => (before + row.n >= total / 2 ? true : ((before += row.n), false)))!;
    const offset = Math.floor(total / 2) - before;
    for (const index of ['pr_paid_bin_idx', 'pr_paid_ttp_idx']) {
      const statement = db
        .prepare(
          `SELECT paid_at - sent_at FROM payment_requests INDEXED BY ${index} WHERE ${paid} AND ${bin} = ? AND sent_at >= ? AND sent_at < ? ORDER BY 1 LIMIT 1 OFFSET ?`,
        )
        .pluck();
      let value: unknown;
      started = performance.now();
      for (let i = 0; i < 3; i++) value = statement.get(median.b, start, max + 1, offset);
      const ms = (performance.now() - started) / 3;
      console.log(
        `${days} days, ${total} paid, median in bin ${median.b} (${median.n} rows): ${value} ms to pay; ${index} ${ms.toFixed(1)} ms`,
      );
    }
  }
} finally {
  db.exec('DROP INDEX pr_paid_ttp_idx');
  db.close();
}
