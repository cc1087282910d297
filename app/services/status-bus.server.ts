import { EventEmitter } from 'node:events';
import type { Status } from '../domain/lifecycle';

export interface StatusChange {
  requestId: string;
  agentId: string;
  teamId: string;
  from: Status | null;
  to: Status;
  at: number;
}

const globalForBus = globalThis as unknown as { __paylinkStatusBus?: EventEmitter };

/** In-process fan-out of committed status changes (live views subscribe). */
export function getStatusBus(): EventEmitter {
  if (!globalForBus.__paylinkStatusBus) {
    globalForBus.__paylinkStatusBus = new EventEmitter();
    globalForBus.__paylinkStatusBus.setMaxListeners(0);
  }
  return globalForBus.__paylinkStatusBus;
}

export function publishStatusChanges(changes: readonly StatusChange[]): void {
  if (changes.length === 0) return;
  getStatusBus().emit('changes', changes);
}
