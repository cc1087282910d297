import type Database from 'better-sqlite3';
import type { Db } from '../../../db/client';
import {
  contributionSql,
  DAY_MS,
  decodedSumsSql,
  HISTOGRAM_COLUMNS,
  payBinSql,
  ROLLUP_TABLES,
  type RollupDimension,
  type RollupTable,
  rollupDimensions,
  VALUE_COLUMNS,
} from '../../../db/metrics-rollups';
import type { Viewer } from '../../domain/access';
import { nearestRank, type PayTimes } from '../../domain/metrics';
import type { Filters } from '../filters';
import {
  asText,
  compileQuery,
  constrainedDimensions,
  type ReadQuery,
  requestCondition,
  rollupColumn,
  rollupCondition,
  type SqlText,
} from '../query-compiler.server';
import { type Piece, rangePieces } from './cells';
import {
  addCollected,
  addInto,
  COUNT_INDEX,
  emptyTotals,
  type GroupKey,
  HISTOGRAM_START,
  mergeInto,
  mergeTotals,
  type Totals,
} from './totals';

/**
 * Reads the SPEC §3 counts of time ranges from the rollups (see db/metrics-rollups.ts) and the
 * exact percentiles of time to pay: the rollup histogram names the bin holding the rank, and only
 * that bin's paid requests are read, sorted, from the bin-first partial index.
 */

const statementCache = new WeakMap<Database.Database, Map<string, Database.Statement>>();

function prepare(db: Db, text: string): Database.Statement {
  let cache = statementCache.get(db.$client);
  if (!cache) {
    cache = new Map();
    statementCache.set(db.$client, cache);
  }
  let statement = cache.get(text);
  if (!statement) {
    // Texts vary with the lengths of IN lists: keep the cache bounded.
    if (cache.size >= 500) cache.clear();
    statement = db.$client.prepare(text);
    cache.set(text, statement);
  }
  return statement;
}

export type Grouping = 'none' | 'agent' | 'cell';

/** One set of filters and scope, read from the rollups (and the requests for unaligned edges). */
export class MetricsReader {
  private readonly query: ReadQuery;
  /** Scope and filters on payment_requests; each read bounds sentAt or createdAt itself. */
  private readonly requestCondition: SqlText;
  /** The dimensions a rollup must have: the constrained ones, and currency for the amounts. */
  private readonly dimensions: Set<RollupDimension>;
  private readonly currencyFilter: string[];

  constructor(
    private readonly db: Db,
    filters: Filters,
    viewer: Viewer,
  ) {
    this.query = compileQuery(filters, viewer);
    this.requestCondition = asText(requestCondition(this.query, { range: 'none', list: false }));
    this.dimensions = new Set<RollupDimension>(['currency', ...constrainedDimensions(this.query).map(rollupColumn)]);
    this.currencyFilter = [...(this.query.allowed.currency ?? [])];
  }

  /** The smallest day rollup holding every constrained dimension (agent grouping needs agent_id). */
  private dayTable(grouping: Grouping): RollupTable {
    if (this.dimensions.has('channel')) return ROLLUP_TABLES.agentChannelDay;
    return grouping === 'agent' || this.dimensions.has('agent_id') ? ROLLUP_TABLES.agentDay : ROLLUP_TABLES.day;
  }

  private table(source: Piece['source'], grouping: Grouping): RollupTable {
    const table = source === 'day' ? this.dayTable(grouping) : ROLLUP_TABLES.quarterHour;
    const have = new Set(rollupDimensions(table));
    for (const dim of this.dimensions) if (!have.has(dim)) throw new Error(`${table.name} lacks ${dim}`);
    return table;
  }

  private agentIds: string[] | null = null;

  private allAgentIds(): string[] {
    this.agentIds ??= prepare(this.db, 'SELECT id FROM agents ORDER BY id').pluck().all() as string[];
    return this.agentIds;
  }

  private readonly currencyCache = new Map<string, string[]>();

  /**
   * Currencies with requests sent in the UTC days around [start, end) (a superset is harmless:
   * their sums are 0); the filter's own list when it has one.
   */
  private currenciesBetween(start: number, end: number): string[] {
    if (this.currencyFilter.length > 0) return this.currencyFilter;
    const from = Math.floor(start / DAY_MS) * DAY_MS;
    const to = Math.ceil(end / DAY_MS) * DAY_MS;
    const key = `${from}:${to}`;
    let currencies = this.currencyCache.get(key);
    if (!currencies) {
      const text = `SELECT DISTINCT currency FROM ${ROLLUP_TABLES.day.name} WHERE bucket >= ? AND bucket < ? ORDER BY currency`;
      currencies = prepare(this.db, text).pluck().all(from, to) as string[];
      this.currencyCache.set(key, currencies);
    }
    return currencies;
  }

  /** Totals of [start, end) from one rollup table, per group: none, agent_id or cell start. */
  readRollup(source: 'day' | 'quarterHour', start: number, end: number, grouping: Grouping): Map<GroupKey, Totals> {
    const table = this.table(source, grouping);
    const group = grouping === 'agent' ? 'agent_id' : grouping === 'cell' ? 'bucket' : null;
    // Agent-first tables: naming every agent lets SQLite seek each one's cells instead of scanning all time.
    const agentIds = table.key[0] === 'agent_id' && !this.dimensions.has('agent_id') ? this.allAgentIds() : [];
    const seek = agentIds.length > 0 ? `agent_id IN (${agentIds.map(() => '?').join(', ')}) AND ` : '';
    const condition = rollupCondition(this.query, start, end);
    const where = `${seek}${condition.sql}`;
    const params = [...agentIds, ...condition.params];
    // Amounts per currency as columns of the same pass: no second query sorting rows by currency.
    const currencies = this.currenciesBetween(start, end);
    const perCurrency = currencies.map(() => 'sum(CASE WHEN currency = ? THEN paid_amount ELSE 0 END)');
    const text = decodedSumsSql(group, `${table.name} WHERE ${where}`, perCurrency);
    const result = new Map<GroupKey, Totals>();
    const width = VALUE_COLUMNS.length;
    for (const row of prepare(this.db, text)
      .raw()
      .all(...currencies, ...params) as [GroupKey, ...number[]][]) {
      const totals = emptyTotals();
      addInto(totals, row.slice(1, 1 + width) as number[], 1);
      currencies.forEach((currency, i) => {
        const amount = row[1 + width + i] as number;
        if (amount !== 0) addCollected(totals, currency, amount, 1);
      });
      result.set(row[0], totals);
    }
    return result;
  }

  /** Totals of [start, end) straight from the requests (edges off a 15-minute boundary), per group. */
  readRequests(start: number, end: number, grouping: 'none' | 'agent'): Map<GroupKey, Totals> {
    const group = grouping === 'agent' ? 'agent_id' : "''";
    const { sql: condition, params } = this.requestCondition;
    const contributions = contributionSelect();
    const sentSql = `SELECT ${group}, ${contributions} FROM payment_requests WHERE sent_at IS NOT NULL AND sent_at >= ? AND sent_at < ? AND ${condition} GROUP BY 1`;
    const failuresSql = `SELECT ${group}, count(*) FROM payment_requests WHERE send_failures > 0 AND created_at >= ? AND created_at < ? AND ${condition} GROUP BY 1`;
    const collectedSql = `SELECT ${group}, currency, sum(amount) FROM payment_requests WHERE status = 'paid' AND sent_at >= ? AND sent_at < ? AND ${condition} GROUP BY 1, 2`;
    const result = new Map<GroupKey, Totals>();
    const totalsOf = (key: GroupKey) => {
      let totals = result.get(key);
      if (!totals) {
        totals = emptyTotals();
        result.set(key, totals);
      }
      return totals;
    };
    for (const row of prepare(this.db, sentSql)
      .raw()
      .all(start, end, ...params) as [GroupKey, ...number[]][]) {
      addInto(totalsOf(row[0]), row.slice(1) as number[], 1);
    }
    for (const [key, count] of prepare(this.db, failuresSql)
      .raw()
      .all(start, end, ...params) as [GroupKey, number][]) {
      totalsOf(key).values[COUNT_INDEX.send_failures!]! += count;
    }
    for (const [key, currency, amount] of prepare(this.db, collectedSql)
      .raw()
      .all(start, end, ...params) as [GroupKey, string, number][]) {
      addCollected(totalsOf(key), currency, amount, 1);
    }
    return result;
  }

  /** Totals of [start, end), per group ('none' or 'agent'), from the cheapest sources. */
  readRange(start: number, end: number, grouping: 'none' | 'agent'): Map<GroupKey, Totals> {
    const result = new Map<GroupKey, Totals>();
    for (const piece of rangePieces(start, end)) {
      const part =
        piece.source === 'requests'
          ? this.readRequests(piece.start, piece.end, grouping)
          : this.readRollup(piece.source, piece.start, piece.end, grouping);
      mergeInto(result, part, piece.sign);
    }
    return result;
  }

  /**
   * Totals of many ranges at once (time-series buckets): rollup pieces are read per merged run of
   * cells, grouped by cell, then summed per range.
   */
  readRanges(ranges: readonly { start: number; end: number }[]): Totals[] {
    const results = ranges.map(() => emptyTotals());
    const bySource: Record<'day' | 'quarterHour', { piece: Piece; index: number }[]> = { day: [], quarterHour: [] };
    ranges.forEach((range, index) => {
      for (const piece of rangePieces(range.start, range.end)) {
        if (piece.source === 'requests') {
          const part = this.readRequests(piece.start, piece.end, 'none').get('');
          if (part) mergeTotals(results[index]!, part, piece.sign);
        } else bySource[piece.source].push({ piece, index });
      }
    });
    for (const source of ['day', 'quarterHour'] as const) {
      for (const run of mergedRuns(bySource[source].map((entry) => entry.piece))) {
        const cells = [...this.readRollup(source, run.start, run.end, 'cell')].sort(
          ([a], [b]) => Number(a) - Number(b),
        );
        const starts = cells.map(([cell]) => Number(cell));
        for (const { piece, index } of bySource[source]) {
          if (piece.start < run.start || piece.end > run.end) continue;
          for (let i = lowerBound(starts, piece.start); i < starts.length && starts[i]! < piece.end; i++) {
            mergeTotals(results[index]!, cells[i]![1], piece.sign);
          }
        }
      }
    }
    return results;
  }

  /**
   * Median and p90 of time to pay over paid requests with sentAt in [start, end) (and of one agent
   * when given), exact: the histogram gives the bin and the rank inside it.
   */
  payTimes(totals: Totals, start: number, end: number, agentId?: string): PayTimes {
    const histogram = totals.values.slice(HISTOGRAM_START, HISTOGRAM_START + HISTOGRAM_COLUMNS.length);
    const paid = histogram.reduce((sum, count) => sum + count, 0);
    if (paid === 0) return { medianSecondsToPay: null, p90SecondsToPay: null };
    const at = (p: number) => this.valueAtRank(histogram, nearestRank(p, paid), start, end, agentId);
    return { medianSecondsToPay: at(0.5), p90SecondsToPay: at(0.9) };
  }

  private valueAtRank(
    histogram: readonly number[],
    rank: number,
    start: number,
    end: number,
    agentId?: string,
  ): number {
    let before = 0;
    let bin = 0;
    while (bin < histogram.length - 1 && before + histogram[bin]! < rank) before += histogram[bin++]!;
    const agent = agentId === undefined ? '' : ' AND agent_id = ?';
    const text = `SELECT paid_at - sent_at FROM payment_requests WHERE status = 'paid' AND ${payBinSql()} = ? AND sent_at >= ? AND sent_at < ?${agent} AND ${this.requestCondition.sql} ORDER BY 1 LIMIT 1 OFFSET ?`;
    const params = [
      bin,
      start,
      end,
      ...(agentId === undefined ? [] : [agentId]),
      ...this.requestCondition.params,
      rank - before - 1,
    ];
    const ms = prepare(this.db, text)
      .pluck()
      .get(...params) as number | undefined;
    if (ms === undefined) throw new Error('Metrics rollup histogram disagrees with the paid requests');
    return ms / 1000;
  }
}

function contributionSelect(): string {
  // Same formulas as the rollup triggers (db/metrics-rollups.ts), summed over the rows.
  return VALUE_COLUMNS.map((column) => `sum(${REQUEST_CONTRIBUTION[column]})`).join(', ');
}

const REQUEST_CONTRIBUTION = contributionSql('', payBinSql());

/** The union of pieces as disjoint runs. */
function mergedRuns(pieces: readonly Piece[]): { start: number; end: number }[] {
  const sorted = [...pieces].sort((a, b) => a.start - b.start);
  const runs: { start: number; end: number }[] = [];
  for (const piece of sorted) {
    const last = runs[runs.length - 1];
    if (last && piece.start <= last.end) last.end = Math.max(last.end, piece.end);
    else runs.push({ start: piece.start, end: piece.end });
  }
  return runs;
}

function lowerBound(sorted: readonly number[], value: number): number {
  let low = 0;
  let high = sorted.length;
  while (low < high) {
    const mid = (low + high) >> 1;
    if (sorted[mid]! < value) low = mid + 1;
    else high = mid;
  }
  return low;
}
