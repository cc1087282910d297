import { parentPort, workerData } from 'node:worker_threads';
import { SAFETY_BOUND_PAGES } from '../../db/checkpointer';
import { openDatabase } from '../../db/client';
import { ingestPrepared } from './ingest.server';
import { type FromWriter, fromWire, type ToWriter } from './ingest-writer';

/**
 * The ingest writer thread (built to build/workers/ingest-writer.cjs): its own connection to the
 * server's SQLite file, on which it stores each batch it is sent in its own IMMEDIATE transaction
 * (ingestPrepared), in the order sent, and answers with the summary once committed. It writes only
 * while the server has granted it the database's write turn; told that another writer waits, it
 * gives the turn back after the batch under way (at least one a grant, so that neither side starves).
 */
const db = openDatabase(workerData.file as string);
// As the server's own connection: the checkpointer thread checkpoints; this is only the bound.
db.$client.pragma(`wal_autocheckpoint = ${SAFETY_BOUND_PAGES}`);

const queue: Extract<ToWriter, { type: 'batch' }>[] = [];
let granted = false;
let writtenThisGrant = 0;
let yieldAsked = false;
let writing = false;
const send = (message: FromWriter) => parentPort!.postMessage(message);

parentPort!.on('message', (message: ToWriter) => {
  if (message.type === 'batch') queue.push(message);
  else if (message.type === 'grant') {
    granted = true;
    writtenThisGrant = 0;
  } else yieldAsked = true;
  next();
});

function next(): void {
  if (writing || !granted) return;
  if (yieldAsked && (writtenThisGrant > 0 || queue.length === 0)) {
    granted = false;
    yieldAsked = false;
    send({ type: 'yielded' });
    return;
  }
  const batch = queue.shift();
  if (!batch) return;
  writing = true;
  void store(batch).then((reply) => {
    send(reply);
    writing = false;
    writtenThisGrant += 1;
    // Messages that came meanwhile (batches, a yield) are read before the next batch starts.
    setImmediate(next);
  });
}

async function store({ id, inputs, source, now }: Extract<ToWriter, { type: 'batch' }>): Promise<FromWriter> {
  try {
    return { type: 'stored', id, summary: await ingestPrepared(db, fromWire(inputs), source, { now }) };
  } catch (error) {
    const code = (error as { code?: unknown } | null)?.code;
    return {
      type: 'failed',
      id,
      error: {
        message: error instanceof Error ? (error.stack ?? error.message) : String(error),
        code: typeof code === 'string' ? code : null,
      },
    };
  }
}
