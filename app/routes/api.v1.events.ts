import type { ActionFunctionArgs } from '@remix-run/node';
import { type Db, getDb, isSqliteBusyError, onPostgres, sqliteWriterBusy } from '../../db/client';
import { isDatabaseBusyError } from '../../db/pg-client';
import { clientIp } from '../http/auth.server';
import {
  BodyError,
  getWebhookSecrets,
  readBody,
  signatureHeadersHold,
  verifyWebhook,
} from '../http/webhook-intake.server';
import { apiError, refusing } from '../lib/http.server';
import { ingestPreparePool } from '../write/ingest-prepare-pool.server';
import { ingestWriter } from '../write/ingest-writer.server';

// Verified bodies being parsed and stored at once; past this senders are asked to retry (SPEC §2:
// 503, never a lost event). A slot is taken only once the whole body has arrived (the server gives
// it REQUEST_TIMEOUT_MS) and its signature holds: slow or unsigned uploads cannot take the slots.
const MAX_IN_FLIGHT = 16;
/** A body prepared in this thread holds it about 20 ms for 1,000 events (~250 KB). */
const MAX_IN_THREAD_BYTES = 256 * 1024;
let inFlight = 0;

export const loader = refusing(() =>
  apiError(405, 'method_not_allowed', 'POST signed events to this endpoint', { headers: { Allow: 'POST' } }),
);

export async function action({ request }: ActionFunctionArgs) {
  if (request.method !== 'POST') return loader();
  const db = getDb();
  // What can be checked before the body is taken in (SPEC §2's 401): unsigned uploads hold nothing.
  if (!signatureHeadersHold(request.headers)) return invalidSignature();
  let body: Buffer;
  try {
    body = await readBody(request, clientIp(request));
  } catch (error) {
    if (error instanceof BodyError) return bodyError(error);
    throw error;
  }
  if (!verifyWebhook(body, request.headers, await getWebhookSecrets(db))) return invalidSignature();
  if (inFlight >= MAX_IN_FLIGHT) return overloaded();
  inFlight += 1;
  try {
    return await store(db, body, request.headers.get('content-type') ?? '');
  } finally {
    inFlight -= 1;
  }
}

async function store(db: Db, body: Buffer, contentType: string) {
  // Read, checked and masked (ingest-prepare.ts) here for a body of up to about 1,000 events, while
  // the writer thread stores the one before (ingest-writer.server.ts): the two overlap. Without a
  // writer thread, here only while SQLite's writer is idle (sooner: no round trip), else by a
  // preparation worker (ingest-prepare-pool.server.ts) so the work overlaps the transaction; a larger
  // body always by a worker. On PostgreSQL transactions run side by side and leave this thread free:
  // always a worker.
  const now = Date.now();
  const inThread =
    !onPostgres(db) && body.byteLength <= MAX_IN_THREAD_BYTES && (ingestWriter.usesThread(db) || !sqliteWriterBusy(db));
  const preparation = await ingestPreparePool.prepare(body, contentType, now, { inThread });
  if (!preparation.ok) return bodyError(preparation);
  try {
    const { accepted, duplicates, rejected, results } = await ingestWriter.write(db, preparation.prepared, 'api', now);
    return Response.json({ accepted, duplicates, rejected, results });
  } catch (error) {
    // No connection in time (PostgreSQL's pool, db/pg-client.ts): the batch's transaction never began.
    if (isSqliteBusyError(error) || isDatabaseBusyError(error)) return overloaded();
    throw error;
  }
}

function bodyError(error: { code: string; message: string }) {
  if (error.code === 'busy') return overloaded();
  return apiError(400, error.code, error.message);
}

function invalidSignature() {
  return apiError(401, 'invalid_signature', 'Missing or invalid webhook signature, or a stale timestamp');
}

function overloaded() {
  return apiError(503, 'overloaded', 'Busy: nothing from this request was stored; retry shortly', {
    headers: { 'Retry-After': '1' },
  });
}
