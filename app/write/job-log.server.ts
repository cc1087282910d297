import { isDatabaseBusyError, POOL_ACQUIRE_TIMEOUT_MS } from '../../db/pg-client';

/**
 * What a background job (expiry sweep, housekeeping, report scheduler) logs when a tick fails. A tick
 * that found no database connection in time (PostgreSQL's pool all held) is a passing overload the
 * next tick retries: one line, where a stack each tick of each job filled the log during the spell.
 */
export function logJobFailure(job: string, error: unknown): void {
  if (isDatabaseBusyError(error)) {
    console.error(`${job}: no database connection within ${POOL_ACQUIRE_TIMEOUT_MS} ms; the next tick retries`);
  } else {
    console.error(`${job} failed`, error);
  }
}
