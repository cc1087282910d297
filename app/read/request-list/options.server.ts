import { z } from 'zod';
import type { paymentRequests } from '../../../db/tables';
import { badRequest } from '../../lib/http.server';
import { firstIssue } from '../../lib/zod-issues';

// The request list's sort keys, query-string options and cursors (SPEC §4: sort, order, limit ≤ 500,
// opaque cursor). Reading the pages is requests-list.server.ts.

type RequestField = keyof typeof paymentRequests.$inferSelect;
/** The name of a request's agent or team: a column of the agents or teams table, not of the request. */
type NameField = 'agentName' | 'teamName';

export interface SortColumn {
  field: RequestField | NameField;
  kind: 'integer' | 'text';
  nullable: boolean;
}
/** A column of payment_requests itself: every sort key but agent and team has only these. */
export type RequestColumn = SortColumn & { field: RequestField };

export const column = <F extends SortColumn['field']>(field: F, kind: SortColumn['kind'], nullable = false) => ({
  field,
  kind,
  nullable,
});
const SENT_AT = column('sentAt', 'integer', true);

/**
 * Sort key → the columns it orders by, always followed by the request id as the tie-breaker.
 * Low-cardinality keys continue with sentAt so that each lines up with an index (status with
 * (status, sent_at, id)...). Amount orders within a currency: minor units of different currencies
 * are never compared. Agent and team order by the name people see, then the agent's (team's) id so
 * two agents of one name never interleave, then sentAt: request-list-by-name.server.ts reads them.
 */
export const LIST_SORTS = {
  sentAt: [SENT_AT],
  createdAt: [column('createdAt', 'integer')],
  openedAt: [column('openedAt', 'integer', true)],
  closedAt: [column('closedAt', 'integer', true)],
  expiresAt: [column('expiresAt', 'integer', true)],
  amount: [column('currency', 'text'), column('amount', 'integer')],
  status: [column('status', 'text'), SENT_AT],
  agent: [column('agentName', 'text'), column('agentId', 'text'), SENT_AT],
  team: [column('teamName', 'text'), column('teamId', 'text'), SENT_AT],
  channel: [column('channel', 'text'), SENT_AT],
  orderNumber: [column('orderNumber', 'text')],
} as const satisfies Record<string, readonly SortColumn[]>;

export type ListSort = keyof typeof LIST_SORTS;
/** The sorts by a name: of the request's agent, of its team. */
export type NameSort = 'agent' | 'team';
/** The sorts by columns of payment_requests alone, which its indexes hold in order. */
export type ColumnSort = Exclude<ListSort, NameSort>;
export const isNameSort = (sort: ListSort): sort is NameSort => sort === 'agent' || sort === 'team';
export const LIST_SORT_KEYS = Object.keys(LIST_SORTS) as [ListSort, ...ListSort[]];
export type SortOrder = 'asc' | 'desc';
export const MAX_LIST_LIMIT = 500;
export const DEFAULT_LIST_LIMIT = 50;

export interface ListOptions {
  sort: ListSort;
  order: SortOrder;
  limit: number;
  /** Opaque, from a previous page's nextCursor or prevCursor. */
  cursor?: string;
  /** The request's: a search still waiting for the search thread is dropped when its client leaves. */
  signal?: AbortSignal;
}

/** A bad list option; routes answer it as a 400 naming the field. */
export class ListOptionError extends Error {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(`${field}: ${message}`);
  }
}

// ---- Cursors: base64url JSON of the boundary row's sort values and id, bound to the sort. ----

export type KeyValue = number | string | null;
/** A row's place in a sort: its values of the sort columns, and its id. */
export interface RowKey {
  values: KeyValue[];
  id: string;
}
export interface Cursor extends RowKey {
  sort: ListSort;
  order: SortOrder;
  /** 'next' reads the rows after the boundary row, 'prev' the rows before it. */
  direction: 'next' | 'prev';
}

const cursorSchema = z.object({
  s: z.enum(LIST_SORT_KEYS),
  o: z.enum(['asc', 'desc']),
  d: z.enum(['next', 'prev']),
  k: z.array(z.union([z.number().int(), z.string().max(200), z.null()])).max(4),
  i: z.string().min(1).max(64),
});

export function encodeCursor(cursor: Cursor): string {
  const payload = { s: cursor.sort, o: cursor.order, d: cursor.direction, k: cursor.values, i: cursor.id };
  return Buffer.from(JSON.stringify(payload)).toString('base64url');
}

export function decodeCursor(text: string, sort: ListSort, order: SortOrder): Cursor {
  let payload: unknown;
  try {
    payload = JSON.parse(Buffer.from(text, 'base64url').toString('utf8'));
  } catch {
    throw new ListOptionError('cursor', 'is not a cursor this API gave out');
  }
  const parsed = cursorSchema.safeParse(payload);
  if (!parsed.success) throw new ListOptionError('cursor', 'is not a cursor this API gave out');
  const { s, o, d, k, i } = parsed.data;
  if (s !== sort || o !== order)
    throw new ListOptionError('cursor', `belongs to sort=${s}&order=${o}; start again without it`);
  const columns: readonly SortColumn[] = LIST_SORTS[sort];
  const fits =
    k.length === columns.length &&
    columns.every((c, index) => {
      const value = k[index];
      if (value === null) return c.nullable;
      return c.kind === 'integer' ? typeof value === 'number' : typeof value === 'string';
    });
  if (!fits) throw new ListOptionError('cursor', 'is not a cursor this API gave out');
  return { sort: s, order: o, direction: d, values: k as KeyValue[], id: i };
}

// ---- Query-string options ----

const optional = <T extends z.ZodType>(schema: T) =>
  z.preprocess((value) => (value === '' || value === null ? undefined : value), schema.optional());

const listOptionsSchema = z.object({
  sort: optional(z.enum(LIST_SORT_KEYS, `must be one of ${LIST_SORT_KEYS.join(', ')}`)),
  order: optional(z.enum(['asc', 'desc'], 'must be asc or desc')),
  limit: optional(
    z
      .string()
      .regex(/^\d+$/, 'must be a whole number')
      .transform(Number)
      .pipe(z.number().min(1, 'must be at least 1').max(MAX_LIST_LIMIT, `must be at most ${MAX_LIST_LIMIT}`)),
  ),
  cursor: optional(z.string().max(2000, 'is not a cursor this API gave out')),
});

/** sort, order, limit and cursor of a list's query string; bad values throw ListOptionError. */
export function parseListOptions(params: URLSearchParams): ListOptions {
  const raw: Record<string, string> = {};
  for (const key of ['sort', 'order', 'limit', 'cursor']) {
    const values = params.getAll(key).filter((value) => value !== '');
    // Two sorts or pages at once: refused, not one of them taken silently (as the filters, parseFilters).
    if (values.length > 1) throw new ListOptionError(key, 'is given more than once');
    if (values.length === 1) raw[key] = values[0]!;
  }
  const parsed = listOptionsSchema.safeParse(raw);
  if (!parsed.success) {
    const { field, message } = firstIssue(parsed.error, { fallback: 'query', depth: 'field' });
    throw new ListOptionError(field, message);
  }
  const options: ListOptions = {
    sort: parsed.data.sort ?? 'sentAt',
    order: parsed.data.order ?? 'desc',
    limit: parsed.data.limit ?? DEFAULT_LIST_LIMIT,
    cursor: parsed.data.cursor,
  };
  if (options.cursor) decodeCursor(options.cursor, options.sort, options.order);
  return options;
}

/** The list options of a request's query string; bad input throws a 400 that names the field. */
export function listOptionsFromRequest(request: Request): ListOptions {
  try {
    return parseListOptions(new URL(request.url).searchParams);
  } catch (error) {
    if (error instanceof ListOptionError) throw badRequest('invalid_parameter', error.field, error.message);
    throw error;
  }
}
