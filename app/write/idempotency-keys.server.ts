import { randomUUID } from 'node:crypto';
import { and, eq, lte } from 'drizzle-orm';
import { z } from 'zod';
import { type Db, first, writeTransaction } from '../../db/client';
import { idempotencyKeys } from '../../db/tables';
import { containsCardNumber, firstWithoutCardNumber } from '../domain/card-masking';
import { canonicalJson, sha256Hex } from '../lib/canonical-json';

export const IDEMPOTENCY_KEY_HEADER = 'Idempotency-Key';
/** How long a key holds, as Stripe keeps them: a retry after that creates anew. */
export const IDEMPOTENCY_KEY_TTL_MS = 24 * 60 * 60 * 1000;

/** 1–255 printable ASCII characters (space included), as HTTP header values safely carry. */
export const idempotencyKeySchema = z
  .string()
  .min(1, `${IDEMPOTENCY_KEY_HEADER} must not be empty`)
  .max(255, `${IDEMPOTENCY_KEY_HEADER} must be at most 255 characters`)
  .regex(/^[\x20-\x7e]+$/, `${IDEMPOTENCY_KEY_HEADER} must be printable ASCII characters`)
  // Keys are stored as sent (a retry is matched by them): one holding a card number is refused, as an event id is.
  .refine((key) => !containsCardNumber(key), `${IDEMPOTENCY_KEY_HEADER} must not hold a card number`);

/** A caller's key and the hash of what they sent with it. */
export interface IdempotencyClaim {
  key: string;
  bodyHash: string;
}

export function idempotencyBodyHash(body: unknown): string {
  return sha256Hex(canonicalJson(body));
}

export interface StoredResponse {
  status: number;
  /** The JSON text sent the first time, byte for byte. */
  body: string;
}

/** What an earlier use of the key left: `response` is null while that first request is in flight. */
export type PriorUse =
  | { kind: 'same_request'; requestId: string; response: StoredResponse | null; claimedAt: number }
  | { kind: 'other_body' };

/**
 * Claims `key` for `userId` and the request about to be created, or says what an earlier use of it left.
 * Call inside the write transaction that creates the request: the claim and the creation commit together,
 * so no second request can slip in between (see createPaymentRequestOnce). Keys older than the TTL are
 * deleted first, which is also how they expire.
 */
export async function claimIdempotencyKey(
  db: Db,
  userId: string,
  claim: IdempotencyClaim,
  requestId: string,
  now: number,
): Promise<PriorUse | null> {
  await writeTransaction(
    db,
    async () => await db.delete(idempotencyKeys).where(lte(idempotencyKeys.createdAt, now - IDEMPOTENCY_KEY_TTL_MS)),
  );
  const read = async () =>
    first(
      await db
        .select()
        .from(idempotencyKeys)
        .where(and(eq(idempotencyKeys.userId, userId), eq(idempotencyKeys.key, claim.key)))
        .limit(1),
    );
  let prior = await read();
  if (!prior) {
    const inserted = await writeTransaction(
      db,
      async () =>
        await db
          .insert(idempotencyKeys)
          .values({ userId, key: claim.key, bodyHash: claim.bodyHash, requestId, createdAt: now })
          .onConflictDoNothing()
          .returning({ key: idempotencyKeys.key }),
    );
    if (inserted.length > 0) return null;
    // Another instance claimed the key between the read and the insert (PostgreSQL: the insert
    // waited for that claim to commit): answer as its retry would be answered.
    prior = await read();
    if (!prior) throw new Error(`Idempotency key ${claim.key} was claimed and is gone`);
  }
  if (prior.bodyHash !== claim.bodyHash) return { kind: 'other_body' };
  const response =
    prior.responseStatus === null || prior.responseBody === null
      ? null
      : { status: prior.responseStatus, body: prior.responseBody };
  return { kind: 'same_request', requestId: prior.requestId, response, claimedAt: prior.createdAt };
}

/** The response recorded for `key`, or null while none is (or the key is gone). */
export async function recordedResponse(db: Db, userId: string, key: string): Promise<StoredResponse | null> {
  const row = first(
    await db
      .select({ status: idempotencyKeys.responseStatus, body: idempotencyKeys.responseBody })
      .from(idempotencyKeys)
      .where(and(eq(idempotencyKeys.userId, userId), eq(idempotencyKeys.key, key)))
      .limit(1),
  );
  return row?.status == null || row.body == null ? null : { status: row.status, body: row.body };
}

/** Keeps the response of the request that claimed the key, for its retries. */
export async function recordIdempotentResponse(
  db: Db,
  userId: string,
  key: string,
  response: StoredResponse,
): Promise<void> {
  await writeTransaction(
    db,
    async () =>
      await db
        .update(idempotencyKeys)
        .set({ responseStatus: response.status, responseBody: response.body })
        .where(and(eq(idempotencyKeys.userId, userId), eq(idempotencyKeys.key, key))),
  );
}

/**
 * A key for a form the server renders (the agent console's send form): never one the key's check
 * refuses as holding a card number, which a UUID's digit groups can read as (rarely).
 */
export function newIdempotencyKey(make: () => string = randomUUID): string {
  return firstWithoutCardNumber(() => make());
}
