import { and, desc, eq, gte, lt, or, type SQL, sql } from 'drizzle-orm';
import { z } from 'zod';
import { type Db, onPostgres } from '../../db/client';
import { auditLog, users } from '../../db/tables';
import { AUDIT_ACTIONS, type AuditAction } from '../domain/audit';
import { singleParam } from '../lib/http.server';
import { firstIssue } from '../lib/zod-issues';

export const AUDIT_PAGE_SIZE = 50;

export interface AuditFilter {
  action?: AuditAction;
  /** Part of the actor's name, or their exact user id. */
  actor?: string;
  /** [start, end) in epoch ms. */
  start?: number | null;
  end?: number | null;
  /** The last seq of the previous page. */
  before?: number;
}

function escapeLike(text: string): string {
  return text.replace(/[\\%_]/g, (c) => `\\${c}`);
}

/** Audit entries newest first, a page at a time, with the cursor of the next (older) page. */
export async function listAuditEntries(db: Db, filter: AuditFilter) {
  const conditions: (SQL | undefined)[] = [];
  if (filter.action) conditions.push(eq(auditLog.action, filter.action));
  if (filter.actor) {
    conditions.push(
      or(
        eq(auditLog.actorUserId, filter.actor),
        // SQLite's LIKE ignores the case of ASCII letters; PostgreSQL's ILIKE ignores case.
        sql`${auditLog.actorName} ${sql.raw(onPostgres(db) ? 'ILIKE' : 'LIKE')} ${`%${escapeLike(filter.actor)}%`} ESCAPE '\\'`,
      ),
    );
  }
  if (filter.start != null) conditions.push(gte(auditLog.at, filter.start));
  if (filter.end != null) conditions.push(lt(auditLog.at, filter.end));
  if (filter.before) conditions.push(lt(auditLog.seq, filter.before));
  const rows = await db
    .select()
    .from(auditLog)
    .where(and(...conditions))
    .orderBy(desc(auditLog.seq))
    .limit(AUDIT_PAGE_SIZE + 1);
  const page = rows.slice(0, AUDIT_PAGE_SIZE);
  return {
    entries: page.map((row) => ({ ...row, details: JSON.parse(row.details) as Record<string, unknown> })),
    nextBefore: rows.length > AUDIT_PAGE_SIZE ? page.at(-1)!.seq : null,
  };
}

/** Names to suggest in the actor filter: every person with a login. */
export async function listActorNames(db: Db): Promise<string[]> {
  return (
    await db.selectDistinct({ name: users.name }).from(users).where(eq(users.isService, false)).orderBy(users.name)
  ).map((row) => row.name);
}

const date = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}$/, 'Enter a date as YYYY-MM-DD')
  .refine((value) => !Number.isNaN(Date.parse(`${value}T00:00:00Z`)), 'Not a calendar date');

const fields = {
  action: z.enum(AUDIT_ACTIONS, { message: 'Unknown action' }),
  actor: z.string().trim().min(1).max(100, 'At most 100 characters'),
  from: date,
  to: date,
  before: z.coerce.number().int().positive(),
};
type Field = keyof typeof fields;

/**
 * Each filter on its own: a bad one is named on the page and ignored, the others still apply. One
 * given twice is a 400 naming it (which of the two was meant cannot be told).
 */
export function parseAuditQuery(params: URLSearchParams) {
  const values: { [K in Field]?: z.infer<(typeof fields)[K]> } = {};
  const errors: Record<string, string> = {};
  for (const key of Object.keys(fields) as Field[]) {
    const raw = singleParam(params, key, 'invalid_filter');
    if (raw === null || raw.trim() === '') continue;
    const parsed = fields[key].safeParse(raw);
    if (parsed.success) Object.assign(values, { [key]: parsed.data });
    else errors[key] = firstIssue(parsed.error).message;
  }
  if (values.from && values.to && values.from > values.to) {
    errors.from = 'Must not be after the end date';
    values.from = undefined;
  }
  return { values, errors };
}
