import { createHmac, timingSafeEqual } from 'node:crypto';
import type { Db } from '../../db/client';
import { getEnv } from '../lib/env.server';
import { readSetting } from '../read/settings.server';

import { BodyError, MAX_BODY_BYTES } from '../write/events-body';

export { BodyError } from '../write/events-body';

/** Secrets that verify a signature: the current one and, during a rotation, the previous one. */
export async function getWebhookSecrets(db: Db): Promise<string[]> {
  const current = (await readSetting(db, 'webhook_secret')) ?? getEnv().WEBHOOK_SECRET;
  const previous = await readSetting(db, 'webhook_secret_previous');
  return previous ? [current, previous] : [current];
}

const TOLERANCE_SECONDS = 5 * 60;

const SECRET_PREFIX = 'whsec_';
const keys = new Map<string, Buffer>();

/**
 * The HMAC key of a `whsec_<base64>` secret, decoded leniently as standardwebhooks' base64 does
 * (the settings accept only the base64 alphabet; the package threw on other characters, which
 * here make a key nothing was signed with).
 */
function keyOf(secret: string): Buffer {
  let key = keys.get(secret);
  if (!key) {
    key = Buffer.from(secret.startsWith(SECRET_PREFIX) ? secret.slice(SECRET_PREFIX.length) : secret, 'base64');
    if (keys.size >= 16) keys.clear(); // the current secret and, during a rotation, the previous one
    keys.set(secret, key);
  }
  return key;
}

/**
 * The Standard Webhooks v1 signature of a message: `v1,` and the base64 HMAC-SHA256 of
 * `id.seconds.payload` under the secret's key, as standardwebhooks' Webhook.sign() spells it
 * (tests/unit/webhook-signature.test.ts holds them equal). Node's native HMAC, fed the payload as
 * it is: the package hashes in JavaScript (fast-sha256) over a copy of the whole text, 2-3 ms of
 * the event loop for a batch of 1,000 events and 120 ms for a 10 MB body (issue 14's ingest profile).
 */
export function webhookSignature(secret: string, id: string, seconds: number, payload: string | Uint8Array): string {
  return `v1,${createHmac('sha256', keyOf(secret)).update(`${id}.${seconds}.`).update(payload).digest('base64')}`;
}

/**
 * What can be checked of a signature before the body is read: the three headers there and the
 * timestamp within 5 minutes. A request without them is refused before its body is taken in.
 */
export function signatureHeadersHold(headers: Headers, now = Date.now()): boolean {
  const timestamp = headers.get('webhook-timestamp');
  if (!headers.get('webhook-id') || !headers.get('webhook-signature') || !timestamp || !/^\d{1,12}$/.test(timestamp))
    return false;
  return Math.abs(now / 1000 - Number(timestamp)) <= TOLERANCE_SECONDS;
}

/**
 * Standard Webhooks verification against any valid secret: the signature over `id.timestamp.body`,
 * a timestamp at most 5 minutes off, several space-separated `v1,<sig>` entries. The package's own
 * verify() also JSON-parses the body, which NDJSON is not, so we compare against its signature.
 */
export function verifyWebhook(
  payload: string | Uint8Array,
  headers: Headers,
  secrets: readonly string[],
  now = Date.now(),
): boolean {
  if (!signatureHeadersHold(headers, now)) return false;
  const id = headers.get('webhook-id')!;
  const seconds = Number(headers.get('webhook-timestamp'));
  const signatureHeader = headers.get('webhook-signature')!;
  const offered = signatureHeader
    .split(' ')
    .filter((entry) => entry.startsWith('v1,'))
    .map((entry) => Buffer.from(entry));
  for (const secret of secrets) {
    const expected = Buffer.from(webhookSignature(secret, id, seconds, payload));
    if (offered.some((candidate) => candidate.length === expected.length && timingSafeEqual(candidate, expected)))
      return true;
  }
  return false;
}

/**
 * Bytes of event bodies held while they arrive, all requests together. A slow sender holds few
 * bytes, so it blocks no one; many large bodies at once get 503 (retry) instead of the memory.
 */
export const MAX_RECEIVING_BYTES = 128 * 1024 * 1024;
/**
 * What bodies from one client address may hold of that at once: their signatures are checked only
 * once they have arrived, so without a share one address's stalled uploads (a dozen 10 MB bodies
 * that never end) took the whole budget and every signed sender got 503 until they timed out.
 */
export const MAX_RECEIVING_BYTES_PER_ADDRESS = MAX_RECEIVING_BYTES / 4;
let receivingBytes = 0;
const receivingByAddress = new Map<string, number>();

/**
 * Reads at most MAX_BODY_BYTES of the body, as the bytes sent (signed as they are; decoded by
 * parseEventsBody), within the budget of bodies arriving at once and `address`'s share of it.
 */
export async function readBody(request: Request, address: string | null = null): Promise<Buffer> {
  const declared = Number(request.headers.get('content-length') ?? '0');
  if (declared > MAX_BODY_BYTES) throw new BodyError('body_too_large', 'The body is larger than 10 MB');
  if (!request.body) return Buffer.alloc(0);
  const chunks: Uint8Array[] = [];
  let size = 0;
  // Unknown addresses (no socket address, or TRUSTED_PROXY_HOPS without a forwarded entry) share one.
  const key = address ?? '';
  try {
    for await (const chunk of request.body as unknown as AsyncIterable<Uint8Array>) {
      size += chunk.byteLength;
      receivingBytes += chunk.byteLength;
      const fromAddress = (receivingByAddress.get(key) ?? 0) + chunk.byteLength;
      receivingByAddress.set(key, fromAddress);
      if (size > MAX_BODY_BYTES) throw new BodyError('body_too_large', 'The body is larger than 10 MB');
      if (fromAddress > MAX_RECEIVING_BYTES_PER_ADDRESS || receivingBytes > MAX_RECEIVING_BYTES)
        throw new BodyError('busy', 'Too many bodies arriving at once');
      chunks.push(chunk);
    }
  } catch (error) {
    if (error instanceof BodyError) throw error;
    // The client went away or the server cut the body off (its size or time limit).
    throw new BodyError('invalid_body', 'The body could not be read to its end');
  } finally {
    receivingBytes -= size;
    const left = (receivingByAddress.get(key) ?? 0) - size;
    if (left > 0) receivingByAddress.set(key, left);
    else receivingByAddress.delete(key);
  }
  return Buffer.concat(chunks);
}
