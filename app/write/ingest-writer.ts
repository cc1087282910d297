import type { EventSource } from '../domain/lifecycle';
import type { IngestSummary, PreparedInput } from './ingest-plan';

/**
 * What the server's thread tells the ingest writer thread (ingest-writer.server.ts): a batch to
 * store (sent as soon as it is prepared, stored in the order sent), that it holds the database's
 * write turn and may write, or that another writer waits for the turn.
 */
export type ToWriter =
  | { type: 'batch'; id: number; prepared: PreparedInput[]; source: EventSource; now: number }
  | { type: 'grant' }
  | { type: 'yield' };

/** What it answers: a batch's summary once committed, or its error; or that it has given the turn back. */
export type FromWriter =
  | { type: 'stored'; id: number; summary: IngestSummary }
  | { type: 'failed'; id: number; error: { message: string; code: string | null } }
  | { type: 'yielded' };

/** A stored hash crosses a thread as a Uint8Array: the writers bind it as a Buffer. */
export function asBuffers(input: PreparedInput): PreparedInput {
  const hash = input.stored?.storedHash;
  if (!hash || Buffer.isBuffer(hash)) return input;
  const bytes = hash as Uint8Array;
  return {
    ...input,
    stored: { ...input.stored!, storedHash: Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength) },
  };
}
