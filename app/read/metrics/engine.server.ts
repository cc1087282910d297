import { type Db, numberedPlaceholders, onPostgres } from '../../../db/client';
import {
  contributionSql,
  DAY_MS,
  PAID_SUB_BIN_INDEXES,
  PAY_SUB_BINS,
  payBinSql,
  paySubBinSql,
  pendingRollupOf,
  QUARTER_HOUR_MS,
  ROLLUP_TABLES,
  type RollupDimension,
  type RollupTable,
  rollupDimensions,
  ruleSql,
  subBinsOf,
  VALUE_COLUMNS,
} from '../../../db/metrics-rollups';
import { contributionPgSql } from '../../../db/metrics-rollups.pg';
import { sentAtBounds, sentPeriodSql, sentPeriodsBetween } from '../../../db/sent-period';
import { cachedStatement } from '../../../db/statement-cache';
import type { Viewer } from '../../domain/access';
import { PAID, PAID_AMOUNT_COLUMN, type RangeInstant, ROLLUP_COLUMNS } from '../../domain/metric-table';
import type { Metrics, PayTimes } from '../../domain/metrics';
import type { Filters } from '../filters';
import {
  asText,
  compileQuery,
  constrainedDimensions,
  inValues,
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
  addPackedInto,
  COLUMN_INDEX,
  emptyTotals,
  type GroupKey,
  mergeInto,
  mergeTotals,
  type Totals,
  totalsToMetrics,
} from './totals';

/**
 * Reads the SPEC §3 counts of time ranges from the rollups (see db/metrics-rollups.ts) and the
 * exact percentiles of time to pay: the rollup histogram names the bin holding the rank, and only
 * that bin's paid requests are read, from a partial index (on SQLite by sub-bin: see valueAtRank).
 */

/**
 * A statement's rows as arrays (columns in select order): on SQLite from a cached prepared
 * statement, on PostgreSQL with its `?` numbered (db/client.ts), on the transaction's client if
 * the caller holds one. The SQL here is written for both (see sqlFor).
 */
async function rows<Row extends unknown[]>(db: Db, text: string, params: readonly unknown[]): Promise<Row[]> {
  if (onPostgres(db)) {
    const result = await db.$pg.queryable().query<Row>({
      text: numberedPlaceholders(text),
      values: [...params],
      rowMode: 'array',
    });
    return result.rows;
  }
  return cachedStatement(db.$client, text)
    .raw()
    .all(...params) as Row[];
}

/** A rule as a condition: ruleSql's "always" is 1, which PostgreSQL will not take for a boolean. */
const ruleCondition = (rule: Parameters<typeof ruleSql>[0]) => {
  const text = ruleSql(rule);
  return text === '1' ? 'TRUE' : text;
};

export type Grouping = 'none' | 'agent' | 'cell';

/**
 * The currencies of requests sent in UTC days, looked up once per range and reused for any range
 * inside one already read (a superset of currencies only adds sums of 0). One per page or request:
 * it does not see later writes.
 */
export class CurrencyLookup {
  private readonly read: { from: number; to: number; currencies: string[] }[] = [];

  constructor(private readonly db: Db) {}

  /** Currencies with requests sent in the UTC days around [start, end), or more. */
  async between(start: number, end: number): Promise<string[]> {
    const from = Math.floor(start / DAY_MS) * DAY_MS;
    const to = Math.ceil(end / DAY_MS) * DAY_MS;
    const covering = this.read.find((range) => range.from <= from && to <= range.to);
    if (covering) return covering.currencies;
    const text = `SELECT DISTINCT currency FROM ${ROLLUP_TABLES.day.name} WHERE bucket >= ? AND bucket < ? ORDER BY currency`;
    const currencies = (await rows<[string]>(this.db, text, [from, to])).map((row) => row[0]);
    this.read.push({ from, to, currencies });
    return currencies;
  }
}

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
    /** Shared by the readers of one page, so that it looks the currencies up once. */
    private readonly currencies: CurrencyLookup = new CurrencyLookup(db),
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

  /**
   * Every agent, as a condition that lets the engine seek each one's cells of an agent-first table
   * instead of scanning all time. SQLite reads them from the agents' primary key as it goes (a `?` an
   * agent would stop at 32,766 agents: "too many SQL variables"); PostgreSQL takes one array.
   */
  private async everyAgent(): Promise<SqlText | null> {
    if (!onPostgres(this.db)) return { sql: 'agent_id IN (SELECT id FROM agents)', params: [] };
    this.agentIds ??= (await rows<[string]>(this.db, 'SELECT id FROM agents ORDER BY id', [])).map((row) => row[0]);
    return this.agentIds.length > 0 ? inValues('agent_id', this.agentIds, { arrays: true }) : null;
  }

  /**
   * Currencies with requests sent in the UTC days around [start, end) (a superset is harmless:
   * their sums are 0); the filter's own list when it has one.
   */
  private async currenciesBetween(start: number, end: number): Promise<string[]> {
    if (this.currencyFilter.length > 0) return this.currencyFilter;
    return await this.currencies.between(start, end);
  }

  /** Totals of [start, end) from one rollup table, per group: none, agent_id or cell start. */
  async readRollup(
    source: 'day' | 'quarterHour',
    start: number,
    end: number,
    grouping: Grouping,
    /** Only these cells of [start, end) (PostgreSQL: several runs in one read). */
    cells: readonly number[] | null = null,
  ): Promise<Map<GroupKey, Totals>> {
    const table = this.table(source, grouping);
    const group = grouping === 'agent' ? 'agent_id' : grouping === 'cell' ? 'bucket' : null;
    // Agent-first tables: naming every agent lets SQLite seek each one's cells instead of scanning all time.
    const arrays = onPostgres(this.db);
    const seek = table.key[0] === 'agent_id' && !this.dimensions.has('agent_id') ? await this.everyAgent() : null;
    const condition = rollupCondition(this.query, start, end, { arrays });
    const where = `${seek ? `${seek.sql} AND ` : ''}${condition.sql}${cells ? ' AND bucket = ANY(?)' : ''}`;
    const params = [...(seek?.params ?? []), ...condition.params, ...(cells ? [cells] : [])];
    // Amounts per currency as columns of the same pass: no second query sorting rows by currency.
    const currencies = await this.currenciesBetween(start, end);
    // As TEXT: SQLite sums int64 exactly, and a JS number would round a sum beyond 2^53.
    const perCurrency = currencies.map(() => 'CAST(sum(CASE WHEN currency = ? THEN paid_amount ELSE 0 END) AS TEXT)');
    const packed = !arrays;
    const result = new Map<GroupKey, Totals>();
    const width = packed ? 1 : VALUE_COLUMNS.length;
    // SQLite: an agent table's cells still pending are summed from its pending table by a second
    // query, not a UNION (which would lose the agent-first order the grouping streams in).
    const pending = packed ? pendingRollupOf(table) : null;
    for (const from of pending ? [table.name, pending.name] : [table.name]) {
      const text = sumsSql(group, `${from} WHERE ${where}`, perCurrency, packed);
      for (const row of await rows<[GroupKey, ...(number | string)[]]>(this.db, text, [...currencies, ...params])) {
        let totals = result.get(row[0]);
        if (!totals) {
          totals = emptyTotals();
          result.set(row[0], totals);
        }
        if (packed) addPackedInto(totals, row[1] as string);
        else addInto(totals, row.slice(1, 1 + width) as number[], 1);
        currencies.forEach((currency, i) => {
          const amount = BigInt(row[1 + width + i] as string);
          if (amount !== 0n) addCollected(totals, currency, amount, 1);
        });
      }
    }
    return result;
  }

  /** Totals of [start, end) straight from the requests (edges off a 15-minute boundary), per group. */
  async readRequests(start: number, end: number, grouping: 'none' | 'agent'): Promise<Map<GroupKey, Totals>> {
    const group = grouping === 'agent' ? 'agent_id' : "''";
    const { sql: condition, params } = this.requestCondition;
    const result = new Map<GroupKey, Totals>();
    const totalsOf = (key: GroupKey) => {
      let totals = result.get(key);
      if (!totals) {
        totals = emptyTotals();
        result.set(key, totals);
      }
      return totals;
    };
    for (const { time, indexes, select } of requestSums(this.db)) {
      // A piece is under 15 minutes: read it by its time. Without statistics SQLite prefers an
      // equality on a filter's column (team_id IN …) to a range of created_at, and pr_team_sent_idx
      // then walks the team's whole history (86-202 ms at 1M requests, 1.9-4.1 s at 10M, for every
      // supervisor's dashboard). sent_at's indexes lead with or end at it, so its reads find it.
      const source =
        time === 'created_at' && !onPostgres(this.db)
          ? 'payment_requests INDEXED BY pr_created_idx'
          : 'payment_requests';
      const text = `SELECT ${group}, ${select} FROM ${source} WHERE ${time} >= ? AND ${time} < ? AND ${condition} GROUP BY 1`;
      for (const row of await rows<[GroupKey, ...number[]]>(this.db, text, [start, end, ...params])) {
        const totals = totalsOf(row[0]);
        indexes.forEach((index, i) => {
          totals.values[index]! += row[1 + i] as number;
        });
      }
    }
    const paidTime = TIME_COLUMN[PAID_AMOUNT_COLUMN.by];
    const collectedSql = `SELECT ${group}, currency, CAST(sum(amount) AS TEXT) FROM payment_requests WHERE ${ruleCondition(PAID_AMOUNT_COLUMN.where)} AND ${paidTime} >= ? AND ${paidTime} < ? AND ${condition} GROUP BY 1, 2`;
    for (const [key, currency, amount] of await rows<[GroupKey, string, string]>(this.db, collectedSql, [
      start,
      end,
      ...params,
    ])) {
      addCollected(totalsOf(key), currency, BigInt(amount), 1);
    }
    return result;
  }

  /** Totals of [start, end), per group ('none' or 'agent'), from the cheapest sources. */
  async readRange(start: number, end: number, grouping: 'none' | 'agent'): Promise<Map<GroupKey, Totals>> {
    const result = new Map<GroupKey, Totals>();
    for (const piece of rangePieces(start, end)) {
      const part =
        piece.source === 'requests'
          ? await this.readRequests(piece.start, piece.end, grouping)
          : await this.readRollup(piece.source, piece.start, piece.end, grouping);
      mergeInto(result, part, piece.sign);
    }
    return result;
  }

  /**
   * Totals of many ranges at once (time-series buckets): rollup pieces are read per merged run of
   * cells, grouped by cell, then summed per range.
   */
  async readRanges(ranges: readonly { start: number; end: number }[]): Promise<Totals[]> {
    const results = ranges.map(() => emptyTotals());
    const bySource: Record<'day' | 'quarterHour', { piece: Piece; index: number }[]> = { day: [], quarterHour: [] };
    for (const [index, range] of ranges.entries()) {
      for (const piece of rangePieces(range.start, range.end)) {
        if (piece.source === 'requests') {
          const part = (await this.readRequests(piece.start, piece.end, 'none')).get('');
          if (part) mergeTotals(results[index]!, part, piece.sign);
        } else bySource[piece.source].push({ piece, index });
      }
    }
    for (const source of ['day', 'quarterHour'] as const) {
      for (const run of this.rollupReads(source, mergedRuns(bySource[source].map((entry) => entry.piece)))) {
        const cells = [...(await this.readRollup(source, run.start, run.end, 'cell', run.cells))].sort(
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
   * The reads of disjoint runs of cells: one each on SQLite (cheap, a cached statement); on
   * PostgreSQL, where each is a round trip, one read of all their cells when they are few (a
   * daily series off UTC has a run at every bucket edge).
   */
  private rollupReads(
    source: 'day' | 'quarterHour',
    runs: { start: number; end: number }[],
  ): { start: number; end: number; cells: number[] | null }[] {
    const separate = runs.map((run) => ({ ...run, cells: null }));
    if (runs.length < 2 || !onPostgres(this.db)) return separate;
    const step = source === 'day' ? DAY_MS : QUARTER_HOUR_MS;
    const count = runs.reduce((total, run) => total + (run.end - run.start) / step, 0);
    if (count > MAX_CELLS_READ_AT_ONCE) return separate;
    const cells = runs.flatMap((run) =>
      Array.from({ length: (run.end - run.start) / step }, (_, i) => run.start + i * step),
    );
    return [{ start: runs[0]!.start, end: runs[runs.length - 1]!.end, cells }];
  }

  /** The metrics of SPEC §3 of totals over [start, end) (of one agent when given). */
  async metrics(totals: Totals, start: number, end: number, agentId?: string): Promise<Metrics> {
    return (await this.metricsOf([{ totals, start, end, agentId }]))[0]!;
  }

  /**
   * The metrics of several totals (time-series buckets, leaderboard rows). The formulas ask for
   * ranks synchronously: note which each asks, read them all, then evaluate with the values.
   */
  async metricsOf(items: readonly RankedTotals[]): Promise<Metrics[]> {
    const lookups: RankLookup[] = [];
    const indexes = items.map(({ totals, start, end, agentId }) => {
      const byRank = new Map<number, number>();
      totalsToMetrics(totals, (histogram, rank) => {
        if (!byRank.has(rank))
          byRank.set(rank, lookups.push({ ...binOfRank(histogram, rank), start, end, agentId }) - 1);
        return 0;
      });
      return byRank;
    });
    const values = await this.valuesAtRanks(lookups);
    return items.map(({ totals }, i) => totalsToMetrics(totals, (_, rank) => values[indexes[i]!.get(rank)!]!));
  }

  /** Median and p90 of time to pay over paid requests with sentAt in [start, end), exact. */
  async payTimes(totals: Totals, start: number, end: number, agentId?: string): Promise<PayTimes> {
    const { medianSecondsToPay, p90SecondsToPay } = await this.metrics(totals, start, end, agentId);
    return { medianSecondsToPay, p90SecondsToPay };
  }

  private readonly rankTexts = new Map<string, string>();
  private storedSentAt: { first: number; last: number } | null | undefined;

  /**
   * SQLite's statements of a time to pay (built once per reader and count of periods: a page runs
   * them hundreds of times). `count`: the rows of one sub-bin; `pick`: the value at an offset, over
   * the bin's sub-bins (`IN`) or one of them (`=`). The index leads with the period of sent_at
   * (db/sent-period.ts), so each names the range's periods: one seek per period and sub-bin.
   * INDEXED BY: for an IN list the planner would rather take (status, sent_at) and sort every paid
   * request of the range.
   */
  private rankText(
    kind: 'count' | 'pick' | 'counts',
    subBins: 'in' | 'one' | number,
    perAgent: boolean,
    periods: number,
  ): string {
    const key = `${kind} ${subBins} ${perAgent} ${periods}`;
    let text = this.rankTexts.get(key);
    if (text === undefined) {
      // Agent first when the lookup or the filters and scope name agents: a seek per agent.
      const index = perAgent || this.dimensions.has('agent_id') ? PAID_SUB_BIN_INDEXES.agent : PAID_SUB_BIN_INDEXES.all;
      const sub = paySubBinSql();
      const list = (length: number) => `IN (${Array.from({ length }, () => '?').join(', ')})`;
      const inSubBins = subBins === 'in' ? list(PAY_SUB_BINS) : subBins === 'one' ? '= ?' : list(subBins);
      const where = `${ruleCondition(PAID)}${perAgent ? ' AND agent_id = ?' : ''} AND ${sentPeriodSql()} ${list(periods)} AND ${sub} ${inSubBins} AND sent_at >= ? AND sent_at < ? AND ${this.requestCondition.sql}`;
      text =
        kind === 'pick'
          ? `SELECT paid_at - sent_at FROM payment_requests INDEXED BY ${index} WHERE ${where} ORDER BY 1 LIMIT 1 OFFSET ?`
          : kind === 'counts'
            ? `SELECT ${sub}, count(*) FROM payment_requests INDEXED BY ${index} WHERE ${where} GROUP BY 1`
            : `SELECT count(*) FROM payment_requests INDEXED BY ${index} WHERE ${where}`;
      this.rankTexts.set(key, text);
    }
    return text;
  }

  /**
   * One time to pay on SQLite. A bin of few rows in the range is sorted whole. A larger one is
   * counted per sub-bin (a few at a time where they hold few rows), from the end of the bin nearer
   * the rank (index steps in order, no sort), until the sub-bin holding it; only that sub-bin is
   * sorted. A median or p90 steps over about a quarter of the bin's rows, not all of them.
   */
  private async valueAtRank({ bin, offset, size, start, end, agentId }: RankLookup): Promise<number | undefined> {
    if (this.storedSentAt === undefined) this.storedSentAt = sentAtBounds(this.db.$client);
    const periods = sentPeriodsBetween(start, end, this.storedSentAt);
    if (periods.length === 0) return undefined;
    const perAgent = agentId !== undefined;
    const around = (subBins: readonly number[]) => [
      ...(perAgent ? [agentId] : []),
      ...periods,
      ...subBins,
      start,
      end,
      ...this.requestCondition.params,
    ];
    const text = (kind: 'count' | 'pick' | 'counts', subBins: 'in' | 'one' | number) =>
      this.rankText(kind, subBins, perAgent, periods.length);
    const pick = async (subBins: 'in' | 'one', params: unknown[], at: number) =>
      (await rows<[number]>(this.db, text('pick', subBins), [...params, at]))[0]?.[0];
    if (size <= SORT_WHOLE_BIN_UP_TO) return await pick('in', around(subBinsOf(bin)), offset);
    // The histogram's count of the bin is its rows in the range: the rank's place from the top.
    const fromTop = offset >= size / 2;
    let left = fromTop ? size - 1 - offset : offset;
    const subBins = fromTop ? subBinsOf(bin).reverse() : subBinsOf(bin);
    // A few sub-bins a statement where each holds few rows (subBinsCountedAtOnce), else one. One
    // is a plain count: the grouped statement over a single sub-bin of many rows took twice as long
    // (a 365-day summary at 10M in process: 26 -> 56 ms; docs/performance.md, session 28).
    const chunk = subBinsCountedAtOnce(size);
    const one = chunk === 1 ? cachedStatement(this.db.$client, text('count', 'one')).pluck() : null;
    const grouped = chunk === 1 ? null : cachedStatement(this.db.$client, text('counts', chunk)).raw();
    const counts = (these: number[]): Map<number, number> =>
      one
        ? new Map([[these[0]!, one.get(...around(these)) as number]])
        : new Map(grouped!.all(...around(these)) as [number, number][]);
    for (let at = 0; at < subBins.length; at += chunk) {
      const these = subBins.slice(at, at + chunk);
      const found = counts(these);
      for (const subBin of these) {
        const inSubBin = found.get(subBin) ?? 0;
        if (left < inSubBin) return await pick('one', around([subBin]), fromTop ? inSubBin - 1 - left : left);
        left -= inSubBin;
      }
    }
    return undefined;
  }

  /**
   * PostgreSQL's statement of many times to pay at once: rankText per row of the arrays (bins,
   * starts, ends, [agents,] offsets), in their order. One round trip instead of one per rank.
   */
  private ranksText(perAgent: boolean): string {
    const key = `postgres ${perAgent}`;
    let text = this.rankTexts.get(key);
    text ??= `SELECT (SELECT paid_at - sent_at FROM payment_requests WHERE ${ruleCondition(PAID)} AND ${payBinSql()} = r.bin AND sent_at >= r.s AND sent_at < r.e${perAgent ? ' AND agent_id = r.a' : ''} AND ${this.requestCondition.sql} ORDER BY 1 LIMIT 1 OFFSET r.o) FROM unnest(?::int[], ?::bigint[], ?::bigint[], ?::bigint[]${perAgent ? ', ?::text[]' : ''}) WITH ORDINALITY AS r(bin, s, e, o${perAgent ? ', a' : ''}, n) ORDER BY r.n`;
    this.rankTexts.set(key, text);
    return text;
  }

  /**
   * The times to pay at ranks among the paid requests, exact: the histogram gave each one's bin and
   * rank inside it, and only that bin's requests are read. On SQLite by sub-bin (valueAtRank), one
   * rank at a time; on PostgreSQL, sorted from the bin-first index, one statement per kind (agent or not).
   */
  private async valuesAtRanks(lookups: readonly RankLookup[]): Promise<number[]> {
    const values: number[] = new Array(lookups.length);
    if (onPostgres(this.db)) {
      for (const perAgent of [false, true]) {
        const which = [...lookups.keys()].filter((i) => (lookups[i]!.agentId !== undefined) === perAgent);
        if (which.length === 0) continue;
        const column = (pick: (lookup: RankLookup) => unknown) => which.map((i) => pick(lookups[i]!));
        const params = [
          ...this.requestCondition.params,
          column((lookup) => lookup.bin),
          column((lookup) => lookup.start),
          column((lookup) => lookup.end),
          column((lookup) => lookup.offset),
          ...(perAgent ? [column((lookup) => lookup.agentId)] : []),
        ];
        const found = await rows<[number | null]>(this.db, this.ranksText(perAgent), params);
        which.forEach((lookup, i) => {
          values[lookup] = secondsOf(found[i]?.[0]);
        });
      }
      return values;
    }
    for (const [i, lookup] of lookups.entries()) values[i] = secondsOf(await this.valueAtRank(lookup));
    return values;
  }
}

/**
 * Up to this many rows of a bin in the range, one sort of them beats counting per sub-bin first
 * (at 1M requests the two cross near 500 rows: 0.12 and 0.08 ms for 614).
 */
const SORT_WHOLE_BIN_UP_TO = 512;

/**
 * How many sub-bins one statement counts (grouped by sub-bin), for a bin of `size` rows in the
 * range: about COUNTED_AT_ONCE rows' worth, in a power of two that divides the 32 sub-bins. Where a
 * sub-bin holds few rows (a day's series at 10M requests: ~31), each count statement cost more in
 * itself than its rows (9 us for 31 rows); where they hold many (a year: ~9,000), one each, so that
 * counting stops at the rank's sub-bin. At 10M, a 90-day daily series: 1,557 statements -> 330,
 * 15.2 -> 9.8 ms (docs/performance.md, session 27).
 */
export function subBinsCountedAtOnce(size: number): number {
  const perSubBin = Math.max(1, size / PAY_SUB_BINS);
  let chunk = 1;
  while (chunk < PAY_SUB_BINS && chunk * 2 * perSubBin <= COUNTED_AT_ONCE) chunk *= 2;
  return chunk;
}
const COUNTED_AT_ONCE = 256;

/** The most cells named in one rollup read (a month of quarter hours is 2,976). */
const MAX_CELLS_READ_AT_ONCE = 20_000;

/** Totals over [start, end) (of one agent when given), whose metrics are wanted. */
export interface RankedTotals {
  totals: Totals;
  start: number;
  end: number;
  agentId?: string;
}

/** One time to pay to read: the histogram bin holding the rank, and the rank's offset inside it. */
interface RankLookup {
  bin: number;
  offset: number;
  /** The bin's rows in the range (the histogram's count). */
  size: number;
  start: number;
  end: number;
  agentId?: string;
}

function binOfRank(histogram: readonly number[], rank: number): { bin: number; offset: number; size: number } {
  let before = 0;
  let bin = 0;
  while (bin < histogram.length - 1 && before + histogram[bin]! < rank) before += histogram[bin++]!;
  return { bin, offset: rank - before - 1, size: histogram[bin]! };
}

function secondsOf(ms: number | null | undefined): number {
  if (ms === undefined || ms === null) throw new Error('Metrics rollup histogram disagrees with the paid requests');
  return ms / 1000;
}

const TIME_COLUMN: Record<RangeInstant, string> = { sentAt: 'sent_at', createdAt: 'created_at' };

/**
 * The rollup columns summed straight from the requests, one query per instant placing them in time:
 * the same contributions as the triggers (db/metrics-rollups.ts).
 */
function requestSumsWith(contribution: typeof contributionSql) {
  return (['sentAt', 'createdAt'] as const)
    .map((by) => {
      // The amounts are read per currency, exactly, by readRequests' own query.
      const columns = ROLLUP_COLUMNS.filter((column) => column.by === by && column !== PAID_AMOUNT_COLUMN);
      const bin = payBinSql();
      return {
        time: TIME_COLUMN[by],
        indexes: columns.map((column) => COLUMN_INDEX.get(column.name)!),
        // bigint: PostgreSQL's sum of bigint is numeric, which its driver gives as a string.
        select: columns.map((column) => `CAST(sum(${contribution(column, '', bin)}) AS bigint)`).join(', '),
      };
    })
    .filter((sums) => sums.indexes.length > 0);
}
const REQUEST_SUMS = { sqlite: requestSumsWith(contributionSql), postgres: requestSumsWith(contributionPgSql) };
const requestSums = (db: Db) => (onPostgres(db) ? REQUEST_SUMS.postgres : REQUEST_SUMS.sqlite);

/**
 * SQL summing every value column over rows of `from` (grouped by `group`), then one column per
 * `extra` aggregate (their parameters come before those of `from`); no row when nothing matched.
 * paid_amount is left at 0: it is read per currency as text (the extras), and its total over all
 * currencies, meaningless anyway, can pass 2^53, which PostgreSQL's int8 parser refuses to round.
 * `packed` (SQLite's tables, db/packed-counts.ts): the counts are one column, summed by counts_sum.
 */
function sumsSql(group: string | null, from: string, extra: readonly string[], packed: boolean): string {
  const values = packed
    ? ['counts_sum(counts) AS s0']
    : VALUE_COLUMNS.map(
        (column, i) => `${column === PAID_AMOUNT_COLUMN.name ? '0' : `CAST(sum(${column}) AS bigint)`} AS s${i}`,
      );
  const sums = [...values, ...extra.map((aggregate, i) => `${aggregate} AS x${i}`)].join(', ');
  const inner = `SELECT ${group ?? "''"} AS g, ${sums} FROM ${from}${group ? ` GROUP BY ${group}` : ''}`;
  return `SELECT * FROM (${inner}) AS sums WHERE s0 IS NOT NULL`;
}

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
