import type { Db } from '../../db/client';
import { auditLog } from '../../db/schema';
import type { Viewer } from './scope.server';

export const AUDIT_ACTIONS = [
  'sign_in',
  'sign_in_failed',
  'sign_out',
  'cancel',
  'cancel_refused',
  'export',
  'settings_change',
  'role_change',
  'user_invite',
  'user_deactivate',
  'user_reactivate',
  'password_reset',
  'password_change',
  'password_change_failed',
  'team_change',
  'token_create',
  'token_revoke',
  'webhook_secret_rotate',
] as const;
export type AuditAction = (typeof AUDIT_ACTIONS)[number];

export interface AuditEntry {
  action: AuditAction;
  actor?: Pick<Viewer, 'userId' | 'name'> | null;
  /** For actions without a signed-in actor (a failed sign-in): who it was about. */
  actorName?: string | null;
  target?: string | null;
  details?: Record<string, unknown>;
  ip?: string | null;
}

export function recordAudit(db: Db, entry: AuditEntry, now = Date.now()): void {
  db.insert(auditLog)
    .values({
      at: now,
      actorUserId: entry.actor?.userId ?? null,
      actorName: entry.actor?.name ?? entry.actorName ?? null,
      action: entry.action,
      target: entry.target ?? null,
      details: JSON.stringify(entry.details ?? {}),
      ip: entry.ip ?? null,
    })
    .run();
}
