import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { changeListenerCount } from '../../app/http/change-feed.server';
import { loader } from '../../app/routes/api.v1.stream';
import { createServiceToken } from '../../app/write/api-tokens.server';
import { ingestEvents } from '../../app/write/ingest.server';
import { closeDb, type Db, getDb } from '../../db/client';
import { ON_POSTGRES } from '../../db/tables';
import { closeTestDb, createTestDb, queryRow } from '../support/db';
import { created } from '../support/events';

// The route in-process, so that nothing but its own queue sits between it and the reader: over a
// socket the kernel's buffers (megabytes on loopback) would hide what the route holds.
let db: Db;
let token: string;
const saved = process.env.DATABASE_URL;

beforeAll(async () => {
  const fresh = await createTestDb();
  await closeTestDb(fresh.db);
  process.env.DATABASE_URL = fresh.file;
  db = getDb();
  token = (await createServiceToken(db, { role: 'manager', name: 'watcher' })).token;
});
afterAll(async () => {
  await closeDb();
  process.env.DATABASE_URL = saved;
});

/**
 * Waits for the stream's first chunk, sent once its subscription is made: at once on SQLite, after
 * the feed's first read and its LISTEN connection on PostgreSQL. Returns the reader.
 */
async function connected(response: Response) {
  const reader = response.body!.getReader();
  expect(new TextDecoder().decode((await reader.read()).value)).toBe('retry: 3000\n: connected\n\n');
  return reader;
}

/** PostgreSQL: the connections LISTENing for the feed on this test's database (one per process at most). */
async function listenConnections(): Promise<number> {
  const row = await queryRow<{ n: number }>(
    db,
    "SELECT count(*) AS n FROM pg_stat_activity WHERE datname = current_database() AND query = 'LISTEN paylink_changes'",
  );
  return row!.n;
}

async function open(signal?: AbortSignal): Promise<Response> {
  const request = new Request('http://desk.test/api/v1/stream', {
    headers: { authorization: `Bearer ${token}` },
    signal,
  });
  return (await loader({ request, params: {}, context: { cspNonce: '' } })) as Response;
}

describe('GET /api/v1/stream, in-process (finding 1)', () => {
  it('unsubscribes when the server cancels the body (the socket closed), even if the signal never aborts', async () => {
    const responses = await Promise.all(Array.from({ length: 6 }, async () => await open()));
    const readers = await Promise.all(responses.map(connected));
    expect(changeListenerCount()).toBe(6);
    if (ON_POSTGRES) expect(await listenConnections()).toBe(1);
    for (const reader of readers) await reader.cancel();
    expect(changeListenerCount()).toBe(0);
    // The last to leave closes the feed's LISTEN connection (its end is asynchronous).
    if (ON_POSTGRES) await vi.waitFor(async () => expect(await listenConnections()).toBe(0), { timeout: 5_000 });
  });

  it('unsubscribes when the request signal aborts', async () => {
    const controller = new AbortController();
    await connected(await open(controller.signal));
    expect(changeListenerCount()).toBe(1);
    controller.abort();
    expect(changeListenerCount()).toBe(0);
  });

  it('drops a reader that lets more than 64 KB pile up, instead of queueing without bound', async () => {
    const reader = await connected(await open());
    // About 170 bytes a change: 500 changes a poll, polled once a second, never read.
    for (let batch = 0; batch < 3; batch++) {
      await ingestEvents(
        db,
        Array.from({ length: 500 }, (_, i) => created(`pr_pile_${batch}_${i}`)),
        'api',
      );
      await new Promise((resolve) => setTimeout(resolve, 1_100));
    }
    expect(changeListenerCount()).toBe(0);
    await expect(reader.read()).rejects.toThrow('Live-update client is not reading');
  });
});
