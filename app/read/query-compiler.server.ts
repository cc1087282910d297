import { and, gte, inArray, isNotNull, lt, or, type SQL, sql } from 'drizzle-orm';
import { SQLiteSyncDialect } from 'drizzle-orm/sqlite-core';
import type { RollupDimension } from '../../db/metrics-rollups';
import { ON_POSTGRES, paymentRequests } from '../../db/tables';
import type { Viewer } from '../domain/access';
import { type Filters, filterRange } from './filters';

/*
 * The one place where the viewer's scope (SPEC §5) and the shared filters (SPEC §3) become SQL: for
 * the payment_requests projection (request list, exports, /reports counts, the metrics' unaligned
 * edges) and for the metrics rollup tables. Column names come from the maps below, values are
 * always bound.
 */

/** The dimensions a request is filtered and scoped on, with their column in each place. */
const DIMENSIONS = {
  team: { request: paymentRequests.teamId, rollup: 'team_id' },
  agent: { request: paymentRequests.agentId, rollup: 'agent_id' },
  channel: { request: paymentRequests.channel, rollup: 'channel' },
  currency: { request: paymentRequests.currency, rollup: 'currency' },
} as const satisfies Record<string, { request: unknown; rollup: RollupDimension }>;

export type Dimension = keyof typeof DIMENSIONS;
const DIMENSION_NAMES = Object.keys(DIMENSIONS) as Dimension[];

/** The values a dimension may take: null when any, empty when none (the filter and the scope do not meet). */
export type Allowed = readonly string[] | null;

/** Filters and scope, compiled once per read: what every reader below takes. */
export interface ReadQuery {
  filters: Filters;
  /** Per dimension, the values both the filters and the viewer's scope allow. */
  allowed: Readonly<Record<Dimension, Allowed>>;
  /** [start, end) of from/to in tz, epoch ms; null ends are open. */
  start: number | null;
  end: number | null;
}

function meet(filter: readonly string[], scope: Allowed): Allowed {
  if (filter.length === 0) return scope;
  const values = [...new Set(filter)];
  return scope ? values.filter((value) => scope.includes(value)) : values;
}

/** The filters and the viewer's scope (SPEC §5: an agent their own requests, a supervisor their teams). */
export function compileQuery(filters: Filters, viewer: Viewer): ReadQuery {
  const { scope } = viewer;
  const scopeTeams = scope.kind === 'teams' ? scope.teamIds : null;
  const scopeAgents = scope.kind === 'agent' ? (scope.agentId ? [scope.agentId] : []) : null;
  return {
    filters,
    allowed: {
      team: meet(filters.team, scopeTeams),
      agent: meet(filters.agent, scopeAgents),
      channel: meet(filters.channel, null),
      currency: meet(filters.currency, null),
    },
    ...filterRange(filters),
  };
}

/** Whether from or to puts a range on sentAt (SPEC §3: a request belongs to a range by its sentAt). */
export const isRanged = (query: ReadQuery) => query.start !== null || query.end !== null;

/** The dimensions the filters or the scope constrain. */
export function constrainedDimensions(query: ReadQuery): Dimension[] {
  return DIMENSION_NAMES.filter((name) => query.allowed[name] !== null);
}

/** The rollup column of a dimension (db/metrics-rollups.ts). */
export const rollupColumn = (dimension: Dimension): RollupDimension => DIMENSIONS[dimension].rollup;

// TRUE/FALSE, not 1/0: PostgreSQL wants booleans in WHERE; SQLite reads them as 1/0.
const NOTHING = sql`FALSE`;

function dimensionConditions(query: ReadQuery): (SQL | undefined)[] {
  return DIMENSION_NAMES.map((name) => {
    const values = query.allowed[name];
    if (values === null) return undefined;
    return values.length > 0 ? inArray(DIMENSIONS[name].request, [...values]) : NOTHING;
  });
}

export interface RequestConditionOptions {
  /**
   * 'sentAt': only requests in S (sent, within from/to when given), as metrics and exports count
   * them. 'none': no range at all (the caller bounds sentAt or createdAt itself).
   */
  range: 'sentAt' | 'none';
  /** Request lists (the list, the payment-requests export and its count) also filter on status and q. */
  list: boolean;
}

/** Scope and filters as one WHERE condition on payment_requests. */
export function requestCondition(query: ReadQuery, options: RequestConditionOptions): SQL | undefined {
  const { filters, start, end } = query;
  const column = paymentRequests.sentAt;
  const ranged = options.range === 'sentAt';
  return and(
    ...dimensionConditions(query),
    ranged ? isNotNull(column) : undefined,
    ranged && start !== null ? gte(column, start) : undefined,
    ranged && end !== null ? lt(column, end) : undefined,
    options.list && filters.status.length > 0
      ? inArray(paymentRequests.status, [...new Set(filters.status)])
      : undefined,
    options.list ? searchCondition(filters.q) : undefined,
  );
}

/**
 * The request list: with from/to only the sent requests in range (SPEC §3); without them every
 * request, the never-sent ones (created, send_failed) included.
 */
export function listCondition(query: ReadQuery): SQL | undefined {
  return requestCondition(query, { range: isRanged(query) ? 'sentAt' : 'none', list: true });
}

/** SQL text and its bound values, for the statements the metrics engine prepares itself. */
export interface SqlText {
  sql: string;
  params: unknown[];
}

const dialect = new SQLiteSyncDialect();

/** A condition as text and values (always true when there is none). */
export function asText(condition: SQL | undefined): SqlText {
  if (!condition) return { sql: 'TRUE', params: [] };
  const query = dialect.sqlToQuery(condition);
  return { sql: query.sql, params: query.params };
}

/** `column IN (?, …)`, or with `arrays` (PostgreSQL) `column = ANY(?)` with the values as one array. */
export function inValues(column: string, values: readonly unknown[], { arrays = false } = {}): SqlText {
  return arrays
    ? { sql: `${column} = ANY(?)`, params: [[...values]] }
    : { sql: `${column} IN (${values.map(() => '?').join(', ')})`, params: [...values] };
}

/**
 * Scope and dimension filters on a rollup table, for the cells with start <= bucket < end. With
 * `arrays` (PostgreSQL), a list is one array parameter, `= ANY(?)`: one text and one value for any
 * length, where SQLite needs a `?` per value.
 */
export function rollupCondition(query: ReadQuery, start: number, end: number, { arrays = false } = {}): SqlText {
  const parts: SqlText[] = [{ sql: 'bucket >= ? AND bucket < ?', params: [start, end] }];
  for (const name of DIMENSION_NAMES) {
    const values = query.allowed[name];
    if (values === null) continue;
    const column = DIMENSIONS[name].rollup;
    parts.push(values.length > 0 ? inValues(column, values, { arrays }) : { sql: 'FALSE', params: [] });
  }
  return { sql: parts.map((part) => part.sql).join(' AND '), params: parts.flatMap((part) => part.params) };
}

/** What `q` searches (SPEC §3): the order number, the request id and the customer's name. */
const SEARCHED = [paymentRequests.orderNumber, paymentRequests.id, paymentRequests.customerName];

/**
 * `q`: a case-insensitive substring of the order number, the request id or the customer's name.
 * No index serves a substring: this tests every row the rest of the WHERE clause leaves.
 */
export function searchCondition(q: string | undefined): SQL | undefined {
  if (!q) return undefined;
  if (ON_POSTGRES) {
    // PostgreSQL's ILIKE ignores the case of every letter, not only ASCII's: one pattern for any q.
    const pattern = `%${q.normalize('NFC').replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
    return or(...SEARCHED.map((column) => sql`${column} ILIKE ${pattern} ESCAPE '\\'`));
  }
  const { operator, pattern } = searchPattern(q);
  return or(
    ...SEARCHED.map((column) =>
      operator === 'LIKE' ? sql`${column} LIKE ${pattern} ESCAPE '\\'` : sql`${column} GLOB ${pattern}`,
    ),
  );
}

export interface SearchPattern {
  operator: 'LIKE' | 'GLOB';
  pattern: string;
}

const isAscii = (text: string) => [...text].every((char) => char.charCodeAt(0) < 0x80);
const GLOB_SPECIAL = new Set(['*', '?', '[']);

/**
 * The pattern for `q`. SQLite's LIKE ignores the case of ASCII letters only (`é` would not find `É`):
 * an ASCII q is a LIKE pattern, its wildcards escaped (`%`, `_` are literal). Any other q is a GLOB
 * pattern, GLOB being case-sensitive but having character classes: each letter becomes the class of
 * its upper- and lower-case forms (`[éÉ]`), each of GLOB's special characters a class of itself.
 * Both give the same answer for an ASCII q; LIKE is measured faster.
 */
export function searchPattern(q: string): SearchPattern {
  const text = q.normalize('NFC');
  if (isAscii(text)) return { operator: 'LIKE', pattern: `%${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%` };
  let pattern = '';
  for (const char of text) {
    const forms = caseForms(char);
    if (forms.length > 1) pattern += `[${forms.join('')}]`;
    else pattern += GLOB_SPECIAL.has(char) ? `[${char}]` : char;
  }
  return { operator: 'GLOB', pattern: `*${pattern}*` };
}

/** A character and its simple upper- and lower-case forms (one code point each: `ß` keeps to itself). */
function caseForms(char: string): string[] {
  const upper = char.toUpperCase();
  const lower = char.toLowerCase();
  const forms = new Set([char, upper, lower, upper.toLowerCase(), lower.toUpperCase()]);
  return [...forms].filter((form) => [...form].length === 1);
}
