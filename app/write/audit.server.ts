import { type Db, writeTransaction } from '../../db/client';
import { auditLog } from '../../db/tables';
import type { Viewer } from '../domain/access';
import type { AuditAction } from '../domain/audit';
import { maskCardNumbers, maskJsonValue } from '../domain/card-masking';

export interface AuditEntry {
  action: AuditAction;
  actor?: Pick<Viewer, 'userId' | 'name'> | null;
  /** For actions without a signed-in actor (a failed sign-in): who it was about. */
  actorName?: string | null;
  target?: string | null;
  details?: Record<string, unknown>;
  ip?: string | null;
}

/**
 * Records an action. What people typed reaches the log (a search's `q`, a name, the email of a failed
 * sign-in), so card numbers are masked in every text and number before storage (SPEC §1), as in events.
 */
export async function recordAudit(db: Db, entry: AuditEntry, now = Date.now()): Promise<void> {
  const actorName = entry.actor?.name ?? entry.actorName ?? null;
  await writeTransaction(
    db,
    async () =>
      await db.insert(auditLog).values({
        at: now,
        actorUserId: entry.actor?.userId ?? null,
        actorName: actorName === null ? null : maskCardNumbers(actorName),
        action: entry.action,
        target: entry.target == null ? null : maskCardNumbers(entry.target),
        details: JSON.stringify(maskJsonValue(entry.details ?? {})),
        ip: entry.ip ?? null,
      }),
  );
}
