import { and, eq, gte, inArray, lt, or, type SQL, sql } from 'drizzle-orm';
import { paymentRequests } from '../../db/schema';
import type { Viewer } from '../domain/access';
import { type Filters, filterRange } from './filters';

/** Scope of SPEC §5 as a condition on payment_requests: what the viewer may see, nothing more. */
export function scopeCondition(viewer: Viewer): SQL | undefined {
  const { scope } = viewer;
  switch (scope.kind) {
    case 'all':
      return undefined;
    case 'teams':
      return scope.teamIds.length > 0 ? inArray(paymentRequests.teamId, [...scope.teamIds]) : sql`0`;
    case 'agent':
      return scope.agentId ? eq(paymentRequests.agentId, scope.agentId) : sql`0`;
  }
}

function escapeLike(text: string): string {
  return text.replace(/[\\%_]/g, (c) => `\\${c}`);
}

export interface ConditionOptions {
  /** Which timestamp puts a request in the range: sentAt for S (SPEC §3), createdAt for sendFailures. */
  rangeColumn?: 'sentAt' | 'createdAt';
  /** Request lists also filter on status and q; metrics do not. */
  includeListFilters?: boolean;
}

/** The shared filters and the viewer's scope as one WHERE condition; every value bound, never spliced. */
export function requestConditions(filters: Filters, viewer: Viewer, options: ConditionOptions = {}): SQL | undefined {
  const column = paymentRequests[options.rangeColumn ?? 'sentAt'];
  const { start, end } = filterRange(filters);
  const conditions: (SQL | undefined)[] = [
    scopeCondition(viewer),
    options.rangeColumn === 'createdAt' ? undefined : sql`${column} IS NOT NULL`,
    start !== null ? gte(column, start) : undefined,
    end !== null ? lt(column, end) : undefined,
    filters.team.length ? inArray(paymentRequests.teamId, filters.team) : undefined,
    filters.agent.length ? inArray(paymentRequests.agentId, filters.agent) : undefined,
    filters.channel.length ? inArray(paymentRequests.channel, filters.channel) : undefined,
    filters.currency.length ? inArray(paymentRequests.currency, filters.currency) : undefined,
  ];
  if (options.includeListFilters) {
    if (filters.status.length) conditions.push(inArray(paymentRequests.status, filters.status));
    if (filters.q) {
      const prefix = `${escapeLike(filters.q)}%`;
      conditions.push(
        or(
          sql`${paymentRequests.orderNumber} LIKE ${prefix} ESCAPE '\\'`,
          sql`${paymentRequests.id} LIKE ${prefix} ESCAPE '\\'`,
        ),
      );
    }
  }
  return and(...conditions);
}
