import { existsSync, statSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { type Checkpointer, SAFETY_BOUND_PAGES, startCheckpointer } from '../../db/checkpointer';
import { type Db, sqlRun } from '../../db/client';
import { ON_POSTGRES } from '../../db/tables';
import { runToExit } from '../support/cli';
import { closeTestDb, createTestDb } from '../support/db';

describe.skipIf(ON_POSTGRES)('the WAL checkpointer (SQLite)', () => {
  let db: Db;
  let checkpointer: Checkpointer | undefined;
  afterEach(async () => {
    await checkpointer?.stop();
    await closeTestDb(db);
  });

  it('copies the writer’s WAL into the database from its own thread, and the writer keeps only a bound', async () => {
    const test = await createTestDb();
    db = test.db;
    const checkpoints: { log: number; checkpointed: number }[] = [];
    checkpointer = startCheckpointer(db.$client, test.file, {
      intervalMs: 20,
      minWalBytes: 64 * 1024,
      onCheckpoint: (result) => checkpoints.push(result),
    });
    expect(db.$client.pragma('wal_autocheckpoint', { simple: true })).toBe(SAFETY_BOUND_PAGES);
    // About 2 MB of WAL, far below the writer's own threshold: only the worker can checkpoint it.
    const body = 'x'.repeat(1000);
    for (let i = 0; i < 2000; i++) {
      await sqlRun(db, 'INSERT INTO settings (key, value) VALUES (?, ?)', [`k${i}`, body]);
    }
    const frames = statSync(`${test.file}-wal`).size / 4096;
    expect(frames).toBeGreaterThan(400);
    expect(frames).toBeLessThan(SAFETY_BOUND_PAGES);
    for (let waited = 0; checkpoints.length === 0 && waited < 5000; waited += 20) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    const last = checkpoints.at(-1)!;
    expect(last.log).toBeGreaterThan(400);
    expect(last.checkpointed).toBe(last.log);
    // Nothing left for the writer: its own passive checkpoint finds every frame copied.
    const [mine] = db.$client.pragma('wal_checkpoint(PASSIVE)') as { log: number; checkpointed: number }[];
    expect(mine!.checkpointed).toBe(mine!.log);
    // The next write starts the WAL over from its beginning (the file keeps its size, not its frames).
    // The worker stopped first: one of its checkpoints running at that write keeps the WAL from
    // starting over (a full run once saw 5,274 frames here).
    await checkpointer.stop();
    checkpointer = undefined;
    await sqlRun(db, 'INSERT INTO settings (key, value) VALUES (?, ?)', ['after', 'y']);
    const [after] = db.$client.pragma('wal_checkpoint(PASSIVE)') as { log: number }[];
    expect(after!.log).toBeLessThan(10);
  });

  it('closes its connection when stopped: the writer, closing last, removes the WAL', async () => {
    const test = await createTestDb();
    db = test.db;
    const started = startCheckpointer(db.$client, test.file, { intervalMs: 20, minWalBytes: 0 });
    await sqlRun(db, 'INSERT INTO settings (key, value) VALUES (?, ?)', ['k', 'v']);
    await new Promise((resolve) => setTimeout(resolve, 100));
    const timers = () => process.getActiveResourcesInfo().filter((resource) => resource === 'Timeout').length;
    const timersBefore = timers();
    await started.stop();
    // No timer of its own left pending either: one held every CLI command up 2 s after its work.
    expect(timers()).toBe(timersBefore);
    expect(existsSync(`${test.file}-wal`)).toBe(true);
    db.$client.close();
    // SQLite deletes the WAL when the last connection closes: the worker's is gone.
    expect(existsSync(`${test.file}-wal`)).toBe(false);
  });

  it('never keeps a process up: one that starts it, never stops it and is done, ends', async () => {
    const test = await createTestDb();
    db = test.db;
    // Before: unref'd before its 'message' listener, which refs the worker again: the child never ended.
    expect(await runToExit('tests/support/checkpointer-child.ts', test.file)).toEqual({ code: 0, out: 'written\n' });
    expect(db.$client.prepare("SELECT value FROM settings WHERE key = 'child'").pluck().get()).toBe('1');
  });
});
