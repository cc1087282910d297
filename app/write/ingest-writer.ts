import type { EventSource } from '../domain/lifecycle';
import type { IngestSummary, PreparedInput } from './ingest-plan';

/** A batch for the ingest writer thread (ingest-writer.server.ts), and its answer. */
export interface WriteRequest {
  id: number;
  prepared: PreparedInput[];
  source: EventSource;
  now: number;
}

export type WriteReply =
  | { id: number; summary: IngestSummary }
  | { id: number; error: { message: string; code: string | null } };

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
