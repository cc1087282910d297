import { type Db, writeTransaction } from '../../db/client';
import { auditLog } from '../../db/tables';
import type { Viewer } from '../domain/access';
import type { AuditAction } from '../domain/audit';

export interface AuditEntry {
  action: AuditAction;
  actor?: Pick<Viewer, 'userId' | 'name'> | null;
  /** For actions without a signed-in actor (a failed sign-in): who it was about. */
  actorName?: string | null;
  target?: string | null;
  details?: Record<string, unknown>;
  ip?: string | null;
}

export async function recordAudit(db: Db, entry: AuditEntry, now = Date.now()): Promise<void> {
  await writeTransaction(
    db,
    async () =>
      await db.insert(auditLog).values({
        at: now,
        actorUserId: entry.actor?.userId ?? null,
        actorName: entry.actor?.name ?? entry.actorName ?? null,
        action: entry.action,
        target: entry.target ?? null,
        details: JSON.stringify(entry.details ?? {}),
        ip: entry.ip ?? null,
      }),
  );
}
