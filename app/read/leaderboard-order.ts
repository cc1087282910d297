import { type Metrics, MIN_SENT_TO_COMPARE } from '../domain/metrics';

/**
 * The dashboard leaderboard's order, defined once: the server sorts every agent of the range by it
 * and sends one page (getDashboard); the table's headers (components/agent-leaderboard.tsx) take
 * their first direction from it and show the rows as they come.
 */

export interface RankedAgent extends Metrics {
  agentId: string;
  agentName: string;
  teamId: string;
  teamName: string;
}

type SortValue = number | string | null;

interface SortColumn {
  /** What the column sorts by; null (a rate when nothing was sent, no paid request) sorts last either way. */
  value: (row: RankedAgent) => SortValue;
  /** A header clicked for the first time sorts this way: figures biggest first, names A to Z. */
  descFirst: boolean;
  /** A rate: agents with too few links for a fair one (fewLinks) come after the others, either way. */
  rate?: true;
}

const figure = (key: 'sent' | 'paid' | 'expiredUnopened'): SortColumn => ({
  value: (row) => row[key],
  descFirst: true,
});
/** The leaderboard's rate columns. */
export type LeaderboardRateId = 'openRate' | 'conversionRate' | 'declineRate' | 'expiryRate' | 'cancelRate';

const rate = (key: LeaderboardRateId): SortColumn => ({
  value: (row) => row[key],
  descFirst: true,
  rate: true,
});

/** The sortable columns by id (the ids of the table's columns and of the URL's `sort`). */
export const LEADERBOARD_COLUMNS = {
  agentName: { value: (row) => row.agentName, descFirst: false },
  sent: figure('sent'),
  paid: figure('paid'),
  expiredUnopened: figure('expiredUnopened'),
  openRate: rate('openRate'),
  conversionRate: rate('conversionRate'),
  declineRate: rate('declineRate'),
  expiryRate: rate('expiryRate'),
  cancelRate: rate('cancelRate'),
  medianSecondsToPay: { value: (row) => row.medianSecondsToPay, descFirst: true },
} satisfies Record<string, SortColumn>;

export type LeaderboardSortId = keyof typeof LEADERBOARD_COLUMNS;

export function isLeaderboardSort(id: string): id is LeaderboardSortId {
  return Object.hasOwn(LEADERBOARD_COLUMNS, id);
}

/**
 * Too few links sent for a rate to rank against the others' (1 of 1 paid is not a better agent than
 * 180 of 200): the KPI cards' minimum for comparing a rate.
 */
export function fewLinks(row: Pick<Metrics, 'sent'>): boolean {
  return row.sent < MIN_SENT_TO_COMPARE;
}

/** Whether a sort is by a rate, where agents with few links come after the rest. */
export function isRateSort(sort: LeaderboardSortId): boolean {
  const column: SortColumn = LEADERBOARD_COLUMNS[sort];
  return column.rate === true;
}

/** The page of the leaderboard in the dashboard's URL (1 when absent). */
export const AGENTS_PAGE_PARAM = 'agentsPage';
export const AGENTS_PER_PAGE = 50;

/** The order agents come in before any sort (SPEC §4's rows, the exports): busiest first, then by name. */
export function busiestFirst(a: RankedAgent, b: RankedAgent): number {
  return b.sent - a.sent || a.agentName.localeCompare(b.agentName);
}

const CHUNKS = /\d+|\D+/g;
const DIGIT = /^\d/;

/**
 * Names as the table's sort compared them (TanStack's alphanumeric, written out so the server's
 * metrics readers need not load the table library): case-insensitive, runs of digits by value
 * ("Agent 9" before "Agent 10"), a digit run after text at the same place.
 */
export function byName(a: string, b: string): number {
  const x = a.toLowerCase().match(CHUNKS) ?? [];
  const y = b.toLowerCase().match(CHUNKS) ?? [];
  for (let i = 0; i < Math.min(x.length, y.length); i++) {
    const [p, q] = [x[i]!, y[i]!];
    const [pDigits, qDigits] = [DIGIT.test(p), DIGIT.test(q)];
    if (pDigits !== qDigits) return pDigits ? 1 : -1;
    const order = pDigits ? Math.sign(Number(p) - Number(q)) : p < q ? -1 : p > q ? 1 : 0;
    if (order) return order;
  }
  return x.length - y.length;
}

function compareValues(a: SortValue, b: SortValue): number {
  if (typeof a === 'string' && typeof b === 'string') return byName(a, b);
  return a === b ? 0 : a! > b! ? 1 : -1;
}

/**
 * Every agent in the order asked for; agents that compare equal keep their busiest-first order,
 * whichever the direction (as the table did: its sort fell back to the rows' order). By a rate,
 * agents with enough links come first and those with few after them, each group in rate order.
 */
export function sortAgents<T extends RankedAgent>(rows: readonly T[], sort: LeaderboardSortId, desc: boolean): T[] {
  const { value } = LEADERBOARD_COLUMNS[sort];
  const grouped = isRateSort(sort);
  const keyed = [...rows].sort(busiestFirst).map((row) => ({ row, key: value(row), few: grouped && fewLinks(row) }));
  keyed.sort((a, b) => {
    if (a.few !== b.few) return a.few ? 1 : -1;
    if (a.key === null || b.key === null) return a.key === b.key ? 0 : a.key === null ? 1 : -1;
    const order = compareValues(a.key, b.key);
    return desc ? -order : order;
  });
  return keyed.map(({ row }) => row);
}

export interface AgentsPage<T> {
  rows: T[];
  /** Agents in the range, on every page. */
  total: number;
  /** The page shown: the one asked for, brought within 1…last. */
  page: number;
  pageSize: number;
}

/** One page of the sorted agents; a page past the last shows the last (an empty range: page 1, no rows). */
export function agentsPage<T extends RankedAgent>(
  rows: readonly T[],
  sort: LeaderboardSortId,
  desc: boolean,
  askedPage: number,
  pageSize = AGENTS_PER_PAGE,
): AgentsPage<T> {
  const pages = Math.max(1, Math.ceil(rows.length / pageSize));
  const page = Math.min(Math.max(1, Math.trunc(askedPage) || 1), pages);
  const start = (page - 1) * pageSize;
  return { rows: sortAgents(rows, sort, desc).slice(start, start + pageSize), total: rows.length, page, pageSize };
}
