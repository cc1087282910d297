import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { runExpirySweep } from '../../app/write/expiry-sweeper.server';
import { ingestPrepared } from '../../app/write/ingest.server';
import { prepareInputs } from '../../app/write/ingest-plan';
import { IngestWriter, type IngestWriterOptions, ingestWriter } from '../../app/write/ingest-writer.server';
import { type Db, openDatabase, sqliteWriterBusy, writeTransaction } from '../../db/client';
import { ON_POSTGRES } from '../../db/tables';
import { closeTestDb, createTestDb } from '../support/db';
import { created, MINUTE, step, T0 } from '../support/events';

// On SQLite, POST /api/v1/events has its batches stored by a writer thread with its own connection
// (issue 14): the built worker (npm test builds it) must leave the database exactly as this thread
// does, this thread's write transactions must wait their turn, and a writer that dies or hangs must
// cost no event.

const BUNDLE = resolve('build/workers/ingest-writer.cjs');
const NOW = T0 + 90 * MINUTE;
const writers: IngestWriter[] = [];
const dbs: Db[] = [];
afterEach(async () => {
  await Promise.all(writers.splice(0).map((writer) => writer.stop()));
  await Promise.all(dbs.splice(0).map((db) => closeTestDb(db)));
});

const writerOf = (bundle: string, options: Partial<IngestWriterOptions> = {}) => {
  const writer = new IngestWriter({ bundle: () => bundle, enabled: () => true, ...options });
  writers.push(writer);
  return writer;
};
async function testDb(): Promise<Db> {
  const { db } = await createTestDb();
  dbs.push(db);
  return db;
}

/** Two batches: new requests (a card number to mask, a duplicate, a conflict, an invalid event), then steps of stored ones. */
function batches(): unknown[][] {
  const first: unknown[] = [];
  for (let i = 0; i < 40; i++) {
    first.push(created(`pr_t${i}`, i * 1000, { agentId: `ag_${i % 3}`, teamId: i % 2 ? 'tm_a' : 'tm_b' }));
    first.push(step(`pr_t${i}`, 'sent', i * 1000 + 5000));
  }
  first.push(created('pr_tcard', 0, { reason: 'card 4111 1111 1111 1111' }));
  first.push(step('pr_t1', 'sent', 6000));
  first.push({ ...step('pr_t2', 'opened', MINUTE), id: 'evt_pr_t2_sent' });
  first.push({ ...step('pr_t3', 'opened', MINUTE), type: 'payment_request.teleported', id: 'evt_bad' });
  const second: unknown[] = [];
  for (let i = 0; i < 40; i += 2) {
    second.push(step(`pr_t${i}`, 'opened', 10 * MINUTE + i));
    second.push(step(`pr_t${i}`, i % 4 ? 'paid' : 'declined', 20 * MINUTE + i));
  }
  second.push(step('pr_t5', 'opened', 30_000));
  return [first, second];
}

/** Every row of every table, in rowid order. */
function contents(db: Db): Record<string, unknown[]> {
  const tables = db.$client
    .prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name")
    .pluck()
    .all() as string[];
  return Object.fromEntries(tables.map((table) => [table, db.$client.prepare(`SELECT * FROM "${table}"`).all()]));
}

/** A worker script (CommonJS) in a folder of its own. */
function script(name: string, source: string): string {
  const file = join(mkdtempSync(join(tmpdir(), 'ingest-writer-')), name);
  writeFileSync(file, source);
  return file;
}

/** A writer that takes SQLite's write lock, writes a team, and then dies (or hangs) before it commits. */
const dyingMidTransaction = (then: string) =>
  script(
    'dying.cjs',
    `const { parentPort, workerData } = require('node:worker_threads');
const Database = require(${JSON.stringify(require.resolve('better-sqlite3'))});
const db = new Database(workerData.file);
parentPort.on('message', ({ type }) => {
  if (type !== 'batch') return;
  db.exec('BEGIN IMMEDIATE');
  db.prepare("INSERT INTO teams (id, name, name_source, created_at) VALUES ('tm_ghost', 'Ghost', 'event', 0)").run();
  ${then}
});
`,
  );

describe.skipIf(ON_POSTGRES)('the ingest writer thread (SQLite)', () => {
  it('leaves every table as this thread does, and answers the same summaries', async () => {
    const [there, here] = [await testDb(), await testDb()];
    const writer = writerOf(BUNDLE);
    for (const [index, batch] of batches().entries()) {
      const prepared = prepareInputs(batch, NOW + index);
      const byThread = await writer.write(there, prepared, 'api', NOW + index);
      const inThread = await ingestPrepared(here, prepared, 'api', { now: NOW + index });
      expect(byThread).toEqual(inThread);
    }
    expect(writer.stats()).toEqual({ writtenByThread: 2, running: true });
    const [written, expected] = [contents(there), contents(here)];
    expect(written).toEqual(expected);
    // 81 + 41 accepted; 40 expiries due at NOW recorded with the first batch, 1 more with the second
    // (pr_t5's opened moved its expiresAt: the first expiry is void, the new one due).
    expect(expected.events).toHaveLength(81 + 40 + 41 + 1);
    expect(expected.events?.filter((row) => (row as { source: string }).source === 'system')).toHaveLength(41);
    expect(expected.rejected_events).toHaveLength(2);
    expect(JSON.stringify(written.events)).not.toContain('4111 1111 1111 1111');
  });

  it('stores the batches that waited for it in one transaction, each answered as if stored alone', async () => {
    const [there, together, alone] = [await testDb(), await testDb(), await testDb()];
    const writer = writerOf(BUNDLE);
    const [first, second] = batches();
    // Posted at once, before the writer is granted the write turn: all three wait, and make one group.
    const sent = [first!, second!, [created('pr_solo'), step('pr_t1', 'sent', 6000)]];
    const summaries = await Promise.all(
      sent.map((batch) => writer.write(there, prepareInputs(batch, NOW), 'api', NOW)),
    );
    expect(writer.stats()).toEqual({ writtenByThread: 3, running: true });
    // What one batch of the three's events in order leaves, row for row (the events' seq included).
    await ingestPrepared(together, prepareInputs(sent.flat(), NOW), 'api', { now: NOW });
    const written = contents(there);
    expect(written).toEqual(contents(together));
    // And what the three stored one after the other answer and leave, but for the events' order of
    // insertion (a transaction inserts a request's events together) and one system expiry: stored
    // alone, the first batch records pr_t5's expiry, due at NOW, which the second's late opened then
    // voids (SPEC §1); together, the opened is known before any expiry is recorded.
    const expected = [];
    for (const batch of sent)
      expected.push(await ingestPrepared(alone, prepareInputs(batch, NOW), 'api', { now: NOW }));
    expect(summaries).toEqual(expected);
    expect(summaries.map(({ accepted, duplicates, rejected }) => [accepted, duplicates, rejected])).toEqual([
      [81, 1, 2],
      [41, 0, 0],
      [1, 1, 0],
    ]);
    const one = contents(alone);
    const bySeq = (rows: unknown[]) => rows.map((row) => (row as { id: string }).id);
    const byId = (rows: unknown[]) =>
      (rows as { seq: number; id: string }[])
        .map(({ seq: _seq, ...row }) => row)
        .sort((a, b) => a.id.localeCompare(b.id));
    const voided = one.events!.filter((row) => (row as { anomaly: string | null }).anomaly === 'void');
    expect(voided.map((row) => (row as { request_id: string }).request_id)).toEqual(['pr_t5']);
    expect(bySeq(written.events!)).not.toEqual(bySeq(one.events!));
    expect(byId(written.events!)).toEqual(byId(one.events!.filter((row) => !voided.includes(row))));
    expect(written.event_receipts).toEqual([{ minute: Math.floor(NOW / MINUTE) * MINUTE, events: 163, rejected: 2 }]);
    expect(one.event_receipts).toEqual([{ minute: Math.floor(NOW / MINUTE) * MINUTE, events: 164, rejected: 2 }]);
    for (const table of Object.keys(one).filter((name) => !['events', 'event_receipts'].includes(name))) {
      expect([table, written[table]]).toEqual([table, one[table]]);
    }
  });

  it('stores each batch of a group alone when the group fails: only the bad one fails', async () => {
    const [there, alone] = [await testDb(), await testDb()];
    const writer = writerOf(BUNDLE);
    const [first, second] = batches();
    // A stored form without its body breaks the NOT NULL of events.body: this batch cannot commit.
    const broken = prepareInputs([step('pr_broken', 'sent', MINUTE)], NOW).map((input) => ({
      ...input,
      stored: { ...input.stored!, storedBody: null as unknown as string },
    }));
    const replies = await Promise.allSettled([
      writer.write(there, prepareInputs(first!, NOW), 'api', NOW),
      writer.write(there, broken, 'api', NOW),
      writer.write(there, prepareInputs(second!, NOW), 'api', NOW),
    ]);
    expect(replies.map((reply) => reply.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect((replies[1] as PromiseRejectedResult).reason).toMatchObject({ code: 'SQLITE_CONSTRAINT_NOTNULL' });
    const expected = [];
    for (const batch of [first!, second!]) {
      expected.push(await ingestPrepared(alone, prepareInputs(batch, NOW), 'api', { now: NOW }));
    }
    expect(replies.filter((reply) => reply.status === 'fulfilled').map((reply) => reply.value)).toEqual(expected);
    expect(contents(there)).toEqual(contents(alone));
    expect(there.$client.prepare("SELECT count(*) FROM events WHERE request_id = 'pr_broken'").pluck().get()).toBe(0);
  });

  it('answers a whole group busy when another process holds the database, without a try for each batch', async () => {
    const there = await testDb();
    const writer = writerOf(BUNDLE);
    const [first, second] = batches();
    // Another process's write lock (not this one's write turn): the writer waits busy_timeout (5 s), once.
    const other = new Database(there.$client.name);
    other.exec('BEGIN IMMEDIATE');
    const started = performance.now();
    const replies = await Promise.allSettled(
      [first!, second!, [created('pr_solo')]].map((batch) =>
        writer.write(there, prepareInputs(batch, NOW), 'api', NOW),
      ),
    );
    const waited = performance.now() - started;
    other.exec('ROLLBACK');
    other.close();
    expect(replies.map((reply) => reply.status === 'rejected' && reply.reason.code)).toEqual([
      'SQLITE_BUSY',
      'SQLITE_BUSY',
      'SQLITE_BUSY',
    ]);
    // One wait of 5 s for the group; a try for each batch after it would wait 5 s more each (20 s).
    expect(waited).toBeLessThan(12_000);
    expect(there.$client.prepare('SELECT count(*) FROM events').pluck().get()).toBe(0);
  });

  it("makes this thread's write transactions wait their turn, without blocking it", async () => {
    const db = await testDb();
    const writer = writerOf(BUNDLE);
    const [batch] = batches();
    const order: string[] = [];
    const stored = writer.write(db, prepareInputs(batch!, NOW), 'api', NOW);
    expect(sqliteWriterBusy(db)).toBe(true);
    const own = writeTransaction(db, () => {
      // Its turn comes once the writer thread's batch is committed: every event is there (81 accepted,
      // and the 40 expiries already due at NOW, recorded with them).
      order.push(`own after ${db.$client.prepare('SELECT count(*) FROM events').pluck().get()} events`);
      db.$client
        .prepare("INSERT INTO teams (id, name, name_source, created_at) VALUES ('tm_own', 'Own', 'admin', 1)")
        .run();
    });
    // The event loop runs while the writer thread holds the database (a timer fires before either settles).
    await new Promise((resolve) => setTimeout(resolve, 0));
    order.push('timer');
    expect((await stored).accepted).toBe(81);
    await own;
    expect(order).toEqual(['timer', 'own after 121 events']);
    expect(sqliteWriterBusy(db)).toBe(false);
    expect(db.$client.prepare("SELECT name FROM teams WHERE id = 'tm_own'").pluck().get()).toBe('Own');
  });

  it('keeps the turn between batches, and gives it to a write transaction here that asks, busy or idle', async () => {
    const db = await testDb();
    const writer = writerOf(BUNDLE);
    const [first, second] = batches();
    const idOf = (i: number) => `tm_own${i}`;
    const own = (i: number) =>
      writeTransaction(db, () => {
        db.$client
          .prepare("INSERT INTO teams (id, name, name_source, created_at) VALUES (?, 'Own', 'admin', 1)")
          .run(idOf(i));
      });
    // Idle with the turn after its batch: a transaction here still gets it, and the writer gets it back.
    expect((await writer.write(db, prepareInputs(first!, NOW), 'api', NOW)).accepted).toBe(81);
    await own(1);
    // Several batches in flight around transactions here: every one stored, each transaction too.
    const results = await Promise.all([
      writer.write(db, prepareInputs(second!, NOW + 1), 'api', NOW + 1),
      own(2),
      writer.write(db, prepareInputs(first!, NOW + 2), 'api', NOW + 2),
      own(3),
      writer.write(db, prepareInputs([created('pr_last')], NOW + 3), 'api', NOW + 3),
    ]);
    expect(results.map((result) => result && (result as { accepted: number }).accepted)).toEqual([
      41,
      undefined,
      0,
      undefined,
      1,
    ]);
    expect((results[2] as { duplicates: number }).duplicates).toBe(82);
    expect(writer.stats()).toEqual({ writtenByThread: 4, running: true });
    expect(db.$client.prepare("SELECT count(*) FROM teams WHERE id LIKE 'tm_own%'").pluck().get()).toBe(3);
    // The accepted events, and the expiries due at NOW (40 with the first batch, 1 with the second).
    expect(db.$client.prepare('SELECT count(*) FROM events').pluck().get()).toBe(81 + 41 + 1 + 40 + 1);
  });

  it("stores the expiry sweeper's batches too (a backlog's transactions leave the event loop free)", async () => {
    const db = await testDb();
    // Ingested before its expiry is due (sent at 1 min, due at 6): the sweeper records it later.
    const beforeDue = T0 + 2 * MINUTE;
    await ingestPrepared(db, prepareInputs([created('pr_due'), step('pr_due', 'sent', MINUTE)], beforeDue), 'api', {
      now: beforeDue,
    });
    const before = ingestWriter.stats().writtenByThread;
    expect(await runExpirySweep(db, T0 + 3 * 24 * 60 * MINUTE)).toBe(1);
    expect(ingestWriter.stats().writtenByThread).toBe(before + 1);
    expect(db.$client.prepare("SELECT status FROM payment_requests WHERE id = 'pr_due'").pluck().get()).toBe('expired');
    await ingestWriter.stop();
  });

  it('stores here a batch whose writer died mid-transaction: its uncommitted writes are gone', async () => {
    const db = await testDb();
    const writer = writerOf(dyingMidTransaction('process.exit(3);'));
    const [batch] = batches();
    const summary = await writer.write(db, prepareInputs(batch!, NOW), 'api', NOW);
    expect([summary.accepted, summary.duplicates, summary.rejected]).toEqual([81, 1, 2]);
    expect(writer.stats()).toEqual({ writtenByThread: 0, running: false });
    // The 81 accepted, and the 40 expiries due at NOW recorded with them.
    expect(db.$client.prepare('SELECT count(*) FROM events').pluck().get()).toBe(81 + 40);
    expect(db.$client.prepare("SELECT count(*) FROM teams WHERE id = 'tm_ghost'").pluck().get()).toBe(0);
  });

  it('stores here a batch whose writer threw mid-transaction, and starts no new writer at once', async () => {
    const db = await testDb();
    const writer = writerOf(dyingMidTransaction("throw new Error('boom');"));
    const [batch] = batches();
    const summary = await writer.write(db, prepareInputs(batch!, NOW), 'api', NOW);
    expect([summary.accepted, summary.duplicates, summary.rejected]).toEqual([81, 1, 2]);
    expect(writer.stats()).toEqual({ writtenByThread: 0, running: false });
    expect(writer.usesThread(db)).toBe(false);
    expect(db.$client.prepare("SELECT count(*) FROM teams WHERE id = 'tm_ghost'").pluck().get()).toBe(0);
  });

  it('stops a writer that holds a batch past the deadline, and stores the batch here', async () => {
    const db = await testDb();
    const writer = writerOf(dyingMidTransaction('/* never answers */'), { deadlineMs: 300 });
    const [batch] = batches();
    const summary = await writer.write(db, prepareInputs(batch!, NOW), 'api', NOW);
    expect(summary.accepted).toBe(81);
    expect(writer.stats()).toEqual({ writtenByThread: 0, running: false });
    expect(db.$client.prepare("SELECT count(*) FROM teams WHERE id = 'tm_ghost'").pluck().get()).toBe(0);
    // Just failed: the next batch is stored here too, without starting another writer yet.
    const [, second] = batches();
    expect((await writer.write(db, prepareInputs(second!, NOW + 1), 'api', NOW + 1)).accepted).toBe(41);
    expect(writer.stats()).toEqual({ writtenByThread: 0, running: false });
  });

  it("passes the writer's error on with its code (the route answers SQLITE_BUSY with 503)", async () => {
    const db = await testDb();
    const busy = script(
      'busy.cjs',
      `const { parentPort } = require('node:worker_threads');
parentPort.on('message', ({ type, id }) => {
  if (type === 'batch') parentPort.postMessage({ type: 'failed', id, error: { message: 'database is locked', code: 'SQLITE_BUSY' } });
});
`,
    );
    const writer = writerOf(busy);
    const [batch] = batches();
    await expect(writer.write(db, prepareInputs(batch!, NOW), 'api', NOW)).rejects.toMatchObject({
      message: 'database is locked',
      code: 'SQLITE_BUSY',
    });
    expect(db.$client.prepare('SELECT count(*) FROM events').pluck().get()).toBe(0);
  });

  it('writes here for an in-memory database, when turned off, or without the built worker', async () => {
    const memory = openDatabase(':memory:');
    dbs.push(memory);
    const file = await testDb();
    const cases: [IngestWriter, Db][] = [
      [writerOf(BUNDLE), memory],
      [writerOf(BUNDLE, { enabled: () => false }), file],
      [new IngestWriter({ bundle: () => null, enabled: () => true }), file],
    ];
    for (const [writer, db] of cases) expect(writer.usesThread(db)).toBe(false);
    const [batch] = batches();
    const summary = await cases[1]![0].write(file, prepareInputs(batch!, NOW), 'api', NOW);
    expect(summary.accepted).toBe(81);
    expect(cases.map(([writer]) => writer.stats())).toEqual([
      { writtenByThread: 0, running: false },
      { writtenByThread: 0, running: false },
      { writtenByThread: 0, running: false },
    ]);
  });
});
