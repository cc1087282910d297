/**
 * Rollups of the SPEC §3 counts, kept by triggers on payment_requests (so every write to the
 * projection, the one ingest path and the demo reset alike, moves them in the same transaction).
 *
 * Each table sums, per UTC time cell and dimensions, what each request in S adds (by sentAt) plus
 * the send failures (by createdAt), and a histogram of time to pay in PAY_BIN_EDGES_MS bins: the
 * queries find the bin holding a percentile's rank there, then read only that bin's exact values.
 *
 * Cells are UTC 15 minutes or UTC days: every zone's midnight falls on a 15-minute boundary, so any
 * range of local days is whole cells; day cells cover the middle, 15-minute cells the edges.
 */

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

/** Upper edges (exclusive) of the time-to-pay histogram bins, in ms; the last bin is open. */
export const PAY_BIN_EDGES_MS: readonly number[] = [
  5, 10, 15, 20, 25, 30, 40, 50, 60, 70, 80, 90, 100, 110, 120, 135, 150, 165, 180, 210, 240, 270, 300, 360, 420, 480,
  600, 900, 1200, 1800, 3600,
].map((seconds) => seconds * 1000);
export const PAY_BINS = PAY_BIN_EDGES_MS.length + 1;
export const HISTOGRAM_COLUMNS: readonly string[] = Array.from({ length: PAY_BINS }, (_, i) => `h${i}`);

/** The counts each table sums (SPEC §3), and the histogram of time to pay: the logical values. */
export const COUNT_COLUMNS = [
  'sent',
  'opened',
  'paid',
  'declined',
  'expired',
  'expired_opened',
  'canceled',
  'in_flight',
  'paid_amount',
  'send_failures',
] as const;
export type CountColumn = (typeof COUNT_COLUMNS)[number];

export const VALUE_COLUMNS: readonly string[] = [...COUNT_COLUMNS, ...HISTOGRAM_COLUMNS];

/**
 * How the values are stored: counts two to a column (low + high · 2³²), which halves the columns
 * every read sums. A count stays below 2³² in any sum, so the halves never carry into each other.
 */
export interface StoredColumn {
  name: string;
  low: string;
  high: string | null;
}

const PAIRS: readonly [string, string][] = [
  ['sent', 'opened'],
  ['paid', 'declined'],
  ['expired', 'expired_opened'],
  ['canceled', 'in_flight'],
  ...Array.from({ length: PAY_BINS / 2 }, (_, i): [string, string] => [`h${2 * i}`, `h${2 * i + 1}`]),
];

export const STORED_COLUMNS: readonly StoredColumn[] = [
  ...PAIRS.slice(0, 4).map(([low, high]) => ({ name: `${low}__${high}`, low, high })),
  { name: 'paid_amount', low: 'paid_amount', high: null },
  { name: 'send_failures', low: 'send_failures', high: null },
  ...PAIRS.slice(4).map(([low, high]) => ({ name: `${low}_${high.slice(1)}`, low, high })),
];

const HIGH = 4294967296;

/**
 * SQL summing the stored columns and decoding them into VALUE_COLUMNS order, over rows of `from`;
 * then one column per `extra` aggregate (their parameters come before those of `from`).
 */
export function decodedSumsSql(group: string | null, from: string, extra: readonly string[] = []): string {
  const sums = [
    ...STORED_COLUMNS.map((column, i) => `sum(${column.name}) AS s${i}`),
    ...extra.map((aggregate, i) => `${aggregate} AS x${i}`),
  ].join(', ');
  const decoded = new Map<string, string>();
  STORED_COLUMNS.forEach((column, i) => {
    decoded.set(column.low, column.high ? `(s${i} & ${HIGH - 1})` : `s${i}`);
    if (column.high) decoded.set(column.high, `(s${i} >> 32)`);
  });
  const inner = `SELECT ${group ?? "''"} AS g, ${sums} FROM ${from}${group ? ` GROUP BY ${group}` : ''}`;
  const outer = [...VALUE_COLUMNS.map((column) => decoded.get(column)), ...extra.map((_, i) => `x${i}`)];
  return `SELECT g, ${outer.join(', ')} FROM (${inner}) WHERE s0 IS NOT NULL`;
}

/** The histogram bin of a paid request's time to pay; `p` is a column prefix such as 'NEW.'. */
export function payBinSql(p = ''): string {
  const cases = PAY_BIN_EDGES_MS.map((edge, bin) => `WHEN ${p}paid_at - ${p}sent_at < ${edge} THEN ${bin}`).join(' ');
  return `(CASE ${cases} ELSE ${PAY_BINS - 1} END)`;
}

/** What one request in S adds to each value column (SPEC §3), as SQL over its row; `bin` is its pay bin. */
export function contributionSql(p: string, bin: string): Record<string, string> {
  const paid = `${p}status = 'paid'`;
  return {
    sent: '1',
    opened: `(${p}opened_at IS NOT NULL)`,
    paid: `(${paid})`,
    declined: `(${p}status = 'declined')`,
    expired: `(${p}status = 'expired')`,
    expired_opened: `(${p}status = 'expired' AND ${p}opened_at IS NOT NULL)`,
    canceled: `(${p}status = 'canceled')`,
    in_flight: `(${p}status IN ('sent', 'opened', 'payment_failed'))`,
    paid_amount: `(CASE WHEN ${paid} THEN ${p}amount ELSE 0 END)`,
    send_failures: '0',
    ...Object.fromEntries(HISTOGRAM_COLUMNS.map((column, i) => [column, `(${paid} AND ${bin} = ${i})`])),
  };
}

/** Start of the cell holding a timestamp (floor, also before 1970). */
export function cellSql(expression: string, cellMs: number): string {
  return `(${expression} - ((${expression} % ${cellMs}) + ${cellMs}) % ${cellMs})`;
}

/** A request's contribution to each stored column. */
export function storedContributionSql(p: string, bin: string): Record<string, string> {
  const logical = contributionSql(p, bin);
  return Object.fromEntries(
    STORED_COLUMNS.map((column) => [
      column.name,
      column.high ? `(${logical[column.low]} + ${logical[column.high]} * ${HIGH})` : logical[column.low]!,
    ]),
  );
}

function upsertSql(table: RollupTable, select: Record<string, string>, from: string, where: string): string {
  const columns = [...table.key, ...STORED_NAMES];
  const values = columns.map((column) => select[column] ?? '0');
  const updates = STORED_NAMES.map((column) => `${column} = ${column} + excluded.${column}`).join(', ');
  return `INSERT INTO ${table.name} (${columns.join(', ')}) SELECT ${values.join(', ')}${from} WHERE ${where} ON CONFLICT (${table.key.join(', ')}) DO UPDATE SET ${updates};`;
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

function scaled(values: Record<string, string>, sign: '+' | '-'): Record<string, string> {
  return Object.fromEntries(Object.entries(values).map(([column, sql]) => [column, sign === '-' ? `-${sql}` : sql]));
}

export const STORED_NAMES: readonly string[] = STORED_COLUMNS.map((column) => column.name);

/** The pay bins of the NEW and/or OLD row, computed once per statement. */
function binsFrom(rows: readonly ('NEW.' | 'OLD.')[]): string {
  const columns = rows.map((p) => `${payBinSql(p)} AS ${p === 'NEW.' ? 'nb' : 'ob'}`);
  return ` FROM (SELECT ${columns.join(', ')}) AS bins`;
}

/** A row's whole contribution added (+) or removed (−): inserts and deletes of requests. */
function rowStatements(table: RollupTable, p: 'NEW.' | 'OLD.', sign: '+' | '-'): string[] {
  const bin = p === 'NEW.' ? 'bins.nb' : 'bins.ob';
  const sent = { ...keySelect(table, p, 'sent_at'), ...scaled(storedContributionSql(p, bin), sign) };
  const failures = { ...keySelect(table, p, 'created_at'), send_failures: sign === '-' ? '-1' : '1' };
  return [
    upsertSql(table, sent, binsFrom([p]), `${p}sent_at IS NOT NULL`),
    upsertSql(table, failures, ' FROM (SELECT 1)', `${p}send_failures > 0`),
  ];
}

/** An update moves the difference: new minus old in place when the cell is the same, else both. */
function updateStatements(table: RollupTable): string[] {
  const sameSent = `(OLD.sent_at IS NOT NULL AND ${sameKeySql(table, 'sent_at')})`;
  const newC = storedContributionSql('NEW.', 'bins.nb');
  const oldC = storedContributionSql('OLD.', 'bins.ob');
  const delta = Object.fromEntries(
    Object.keys(newC).map((column) => [
      column,
      `(${newC[column]} - CASE WHEN ${sameSent} THEN ${oldC[column]} ELSE 0 END)`,
    ]),
  );
  const sameCreated = sameKeySql(table, 'created_at');
  const failed = (p: string) => `(${p}send_failures > 0)`;
  return [
    upsertSql(
      table,
      { ...keySelect(table, 'NEW.', 'sent_at'), ...delta },
      binsFrom(['NEW.', 'OLD.']),
      'NEW.sent_at IS NOT NULL',
    ),
    upsertSql(
      table,
      { ...keySelect(table, 'OLD.', 'sent_at'), ...scaled(oldC, '-') },
      binsFrom(['OLD.']),
      `OLD.sent_at IS NOT NULL AND NOT (NEW.sent_at IS NOT NULL AND ${sameKeySql(table, 'sent_at')})`,
    ),
    upsertSql(
      table,
      {
        ...keySelect(table, 'NEW.', 'created_at'),
        send_failures: `${failed('NEW.')} - CASE WHEN ${sameCreated} THEN ${failed('OLD.')} ELSE 0 END`,
      },
      ' FROM (SELECT 1)',
      `${failed('NEW.')} - CASE WHEN ${sameCreated} THEN ${failed('OLD.')} ELSE 0 END != 0`,
    ),
    upsertSql(
      table,
      { ...keySelect(table, 'OLD.', 'created_at'), send_failures: '-1' },
      ' FROM (SELECT 1)',
      `${failed('OLD.')} AND NOT (${sameCreated})`,
    ),
  ];
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

/** The triggers keeping every rollup table equal to the aggregate of payment_requests. */
export function rollupTriggerSql(): string[] {
  const tables = Object.values(ROLLUP_TABLES);
  const changed = [
    ...WATCHED.map((c) => `OLD.${c} IS NOT NEW.${c}`),
    '(OLD.send_failures > 0) != (NEW.send_failures > 0)',
  ];
  return [
    `CREATE TRIGGER metrics_rollup_insert AFTER INSERT ON payment_requests BEGIN\n${tables
      .flatMap((table) => rowStatements(table, 'NEW.', '+'))
      .join('\n')}\nEND;`,
    `CREATE TRIGGER metrics_rollup_update AFTER UPDATE ON payment_requests WHEN ${changed.join(' OR ')} BEGIN\n${tables
      .flatMap(updateStatements)
      .join('\n')}\nEND;`,
    `CREATE TRIGGER metrics_rollup_delete AFTER DELETE ON payment_requests BEGIN\n${tables
      .flatMap((table) => rowStatements(table, 'OLD.', '-'))
      .join('\n')}\nEND;`,
  ];
}

/** Fills the rollups from the existing projection (the migration runs it once). */
export function rollupBackfillSql(): string[] {
  return Object.values(ROLLUP_TABLES).flatMap((table) => {
    const key = keySelect(table, '', 'sent_at');
    const contribution = storedContributionSql('', payBinSql());
    const values = STORED_NAMES.map((column) => `sum(${contribution[column]})`);
    const keyValues = table.key.map((column) => key[column]);
    const failureKey = keySelect(table, '', 'created_at');
    const failureValues = STORED_NAMES.map((column) => (column === 'send_failures' ? 'count(*)' : '0'));
    const updates = STORED_NAMES.map((column) => `${column} = ${column} + excluded.${column}`).join(', ');
    return [
      `INSERT INTO ${table.name} (${[...table.key, ...STORED_NAMES].join(', ')}) SELECT ${[...keyValues, ...values].join(', ')} FROM payment_requests WHERE sent_at IS NOT NULL GROUP BY ${table.key.map((_, i) => i + 1).join(', ')};`,
      `INSERT INTO ${table.name} (${[...table.key, ...STORED_NAMES].join(', ')}) SELECT ${[...table.key.map((column) => failureKey[column]), ...failureValues].join(', ')} FROM payment_requests WHERE send_failures > 0 GROUP BY ${table.key.map((_, i) => i + 1).join(', ')} ON CONFLICT (${table.key.join(', ')}) DO UPDATE SET ${updates};`,
    ];
  });
}

/** Exact times to pay are read from paid requests through these, bin first. */
export const PAID_INDEX_SQL: readonly string[] = [
  `CREATE INDEX pr_paid_bin_idx ON payment_requests (${payBinSql()}, sent_at, paid_at, team_id, agent_id, channel, currency) WHERE status = 'paid';`,
  `CREATE INDEX pr_paid_agent_bin_idx ON payment_requests (agent_id, ${payBinSql()}, sent_at, paid_at, team_id, channel, currency) WHERE status = 'paid';`,
];

/** The hand-written part of migration 0002 (after the generated CREATE TABLEs); a test keeps them equal. */
export function rollupMigrationSql(): string[] {
  return [...PAID_INDEX_SQL, ...rollupTriggerSql(), ...rollupBackfillSql()];
}
