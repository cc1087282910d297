import { parentPort, workerData } from 'node:worker_threads';
import { SAFETY_BOUND_PAGES } from '../../db/checkpointer';
import { isSqliteBusyError, openDatabase } from '../../db/client';
import { ingestPrepared } from './ingest.server';
import { type FromWriter, fromWire, splitSummary, type ToWriter, takeGroup } from './ingest-writer';

/**
 * The ingest writer thread (built to build/workers/ingest-writer.cjs): its own connection to the
 * server's SQLite file, on which it stores each batch it is sent in its own IMMEDIATE transaction
 * (ingestPrepared), in the order sent, and answers with the summary once committed; batches that
 * arrived while it wrote are stored together (storeGroup). It writes only while the server has
 * granted it the database's write turn; told that another writer waits, it gives the turn back after
 * the transaction under way (at least one a grant, so that neither side starves).
 */
const db = openDatabase(workerData.file as string);
// As the server's own connection: the checkpointer thread checkpoints; this is only the bound.
db.$client.pragma(`wal_autocheckpoint = ${SAFETY_BOUND_PAGES}`);

const queue: Batch[] = [];
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
  nextSoon();
});

/**
 * next() once the messages already here have been read: a port hands them over one at a time, and
 * a write begun from the first would leave the rest of the batches that came during the last write
 * out of its group.
 */
let scheduled = false;
function nextSoon(): void {
  if (scheduled) return;
  scheduled = true;
  setImmediate(() => {
    scheduled = false;
    next();
  });
}

function next(): void {
  if (writing || !granted) return;
  if (yieldAsked && (writtenThisGrant > 0 || queue.length === 0)) {
    granted = false;
    yieldAsked = false;
    send({ type: 'yielded' });
    return;
  }
  const group = takeGroup(queue);
  if (group.length === 0) return;
  writing = true;
  void storeGroup(group).then((replies) => {
    for (const reply of replies) send(reply);
    writing = false;
    writtenThisGrant += 1;
    // Messages that came meanwhile (batches, a yield) are read before the next batch starts.
    nextSoon();
  });
}

type Batch = Extract<ToWriter, { type: 'batch' }>;

/**
 * Batches that waited for the writer are stored in one transaction (group commit): the pages that
 * every commit writes (each agent's tail in the agent-first indexes, the commit's own) are written
 * once for all of them. They are stored as one batch of their inputs in order, at the latest batch's
 * `now`, and each is answered with its part of the results: what it would have had alone, a duplicate
 * or conflict across them included. The projections end the same; only a system expiry that a later
 * batch of the group would have voided is never recorded (SPEC §1). If the group fails, each batch is
 * stored alone, so one bad batch fails nobody else's; but if SQLite was busy, each would be too.
 */
async function storeGroup(group: Batch[]): Promise<FromWriter[]> {
  if (group.length === 1) return [await store(group[0]!)];
  try {
    const inputs = group.flatMap((batch) => fromWire(batch.inputs));
    const now = Math.max(...group.map((batch) => batch.now));
    const summary = await ingestPrepared(db, inputs, group[0]!.source, { now });
    const summaries = splitSummary(
      summary,
      group.map((batch) => batch.inputs.length),
    );
    return group.map((batch, index) => ({ type: 'stored', id: batch.id, summary: summaries[index]! }));
  } catch (error) {
    if (isSqliteBusyError(error)) return group.map((batch) => failed(batch.id, error));
    const replies: FromWriter[] = [];
    for (const batch of group) replies.push(await store(batch));
    return replies;
  }
}

async function store({ id, inputs, source, now }: Batch): Promise<FromWriter> {
  try {
    return { type: 'stored', id, summary: await ingestPrepared(db, fromWire(inputs), source, { now }) };
  } catch (error) {
    return failed(id, error);
  }
}

function failed(id: number, error: unknown): FromWriter {
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
