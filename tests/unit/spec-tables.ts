// The tables of SPEC §1, copied by hand from /work/shared/SPEC.md so that tests compare the code
// with the contract rather than with itself.
import type { EventType, Status } from '../../app/domain/lifecycle';

export const SPEC_TRANSITIONS: Record<EventType, { to: Status | null; from: readonly Status[] | 'first' | 'any' }> = {
  'payment_request.created': { to: 'created', from: 'first' },
  'payment_request.sent': { to: 'sent', from: ['created', 'send_failed'] },
  'payment_request.send_failed': { to: 'send_failed', from: ['created', 'send_failed'] },
  'payment_request.opened': { to: 'opened', from: ['sent'] },
  'payment_request.payment_failed': { to: 'payment_failed', from: ['opened', 'payment_failed'] },
  'payment_request.paid': { to: 'paid', from: ['sent', 'opened', 'payment_failed'] },
  'payment_request.declined': { to: 'declined', from: ['sent', 'opened', 'payment_failed'] },
  'payment_request.expired': { to: 'expired', from: ['sent', 'send_failed', 'opened', 'payment_failed'] },
  'payment_request.canceled': { to: 'canceled', from: ['created', 'sent', 'send_failed'] },
  'payment_request.cancel_rejected': { to: null, from: 'any' },
};

export const SPEC_TERMINAL: readonly Status[] = ['paid', 'declined', 'expired', 'canceled'];
