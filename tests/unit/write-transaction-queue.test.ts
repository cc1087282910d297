import { describe, expect, it } from 'vitest';
import { openDatabase, sqliteWriterBusy, writeTransaction } from '../../db/client';

// The ingest route prepares a body in its own thread only while no write transaction holds or waits
// for the connection (app/routes/api.v1.events.ts): sqliteWriterBusy says which.
describe('sqliteWriterBusy', () => {
  it('is true from the first write transaction queued until the last one settles', async () => {
    const db = openDatabase(':memory:');
    db.$client.exec('CREATE TABLE t (v INTEGER)');
    expect(sqliteWriterBusy(db)).toBe(false);
    let releaseFirst!: () => void;
    const first = writeTransaction(db, async () => {
      await new Promise<void>((resolve) => (releaseFirst = resolve));
      db.$client.prepare('INSERT INTO t VALUES (1)').run();
    });
    const second = writeTransaction(db, () => db.$client.prepare('INSERT INTO t VALUES (2)').run());
    expect(sqliteWriterBusy(db)).toBe(true);
    releaseFirst();
    await first;
    await second;
    expect(sqliteWriterBusy(db)).toBe(false);
    expect(db.$client.prepare('SELECT v FROM t ORDER BY v').pluck().all()).toEqual([1, 2]);
    db.$client.close();
  });
});
