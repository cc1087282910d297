import { parentPort, workerData } from 'node:worker_threads';
import { SAFETY_BOUND_PAGES } from '../../db/checkpointer';
import { openDatabase } from '../../db/client';
import { ingestPrepared } from './ingest.server';
import { asBuffers, type WriteReply, type WriteRequest } from './ingest-writer';

/**
 * The ingest writer thread (built to build/workers/ingest-writer.cjs): its own connection to the
 * server's SQLite file, on which it stores each prepared batch in its own IMMEDIATE transaction
 * (ingestPrepared), one at a time, and answers with the summary once committed. The server holds
 * its write turn while a batch is here (ingest-writer.server.ts), so the two connections never wait
 * for SQLite's lock on each other.
 */
const db = openDatabase(workerData.file as string);
// As the server's own connection: the checkpointer thread checkpoints; this is only the bound.
db.$client.pragma(`wal_autocheckpoint = ${SAFETY_BOUND_PAGES}`);

parentPort!.on('message', async ({ id, prepared, source, now }: WriteRequest) => {
  let reply: WriteReply;
  try {
    reply = { id, summary: await ingestPrepared(db, prepared.map(asBuffers), source, { now }) };
  } catch (error) {
    const code = (error as { code?: unknown } | null)?.code;
    reply = {
      id,
      error: {
        message: error instanceof Error ? (error.stack ?? error.message) : String(error),
        code: typeof code === 'string' ? code : null,
      },
    };
  }
  parentPort!.postMessage(reply);
});
