import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { changeListenerCount, liveStreamCount } from '../../app/http/change-feed.server';
import { loader } from '../../app/routes/api.v1.stream';
import { createServiceToken } from '../../app/write/api-tokens.server';
import { ingestEvents } from '../../app/write/ingest.server';
import type { Db } from '../../db/client';
import { apiTokens, ON_POSTGRES, userTeams } from '../../db/tables';
import { createProcessTestDb, queryRow } from '../support/db';
import { created } from '../support/events';

// The route in-process, so that nothing but its own queue sits between it and the reader: over a
// socket the kernel's buffers (megabytes on loopback) would hide what the route holds.
let db: Db;
let token: string;
let restore: () => Promise<void>;

beforeAll(async () => {
  ({ db, restore } = await createProcessTestDb());
  token = (await createServiceToken(db, { role: 'manager', name: 'watcher' })).token;
});
afterAll(() => restore());

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

async function open(signal?: AbortSignal, as = token): Promise<Response> {
  const request = new Request('http://desk.test/api/v1/stream', {
    headers: { authorization: `Bearer ${as}` },
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
    if (ON_POSTGRES) await vi.waitFor(async () => expect(await listenConnections()).toBe(0), { timeout: 15_000 });
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
    // On a loaded machine the poll that finds the last batch (once a second, on SQLite) may still be
    // under way after the sleeps: wait for the drop, which a reader queued without bound never sees.
    await vi.waitFor(() => expect(changeListenerCount()).toBe(0), { timeout: 10_000, interval: 50 });
    await expect(reader.read()).rejects.toThrow('Live-update client is not reading');
  });
});

/** The text of the stream's next chunk, or null once it has ended. */
async function nextText(reader: ReadableStreamDefaultReader<Uint8Array>): Promise<string | null> {
  const { value, done } = await reader.read();
  return done ? null : new TextDecoder().decode(value);
}

describe('GET /api/v1/stream checks its caller again at each heartbeat (every 15 s)', () => {
  // Only the intervals are faked: the heartbeat's and the change feed's poll. The database and the
  // stream run for real.
  const fakeIntervals = () => vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });

  it('ends the stream once its token is revoked, and releases it', async () => {
    const own = (await createServiceToken(db, { role: 'manager', name: 'revoked soon' })).token;
    fakeIntervals();
    try {
      const reader = await connected(await open(undefined, own));
      vi.advanceTimersByTime(15_000);
      expect(await nextText(reader)).toBe(': heartbeat\n\n');
      expect(liveStreamCount()).toBe(1);
      await db.update(apiTokens).set({ revokedAt: Date.now() }).where(eq(apiTokens.name, 'revoked soon'));
      vi.advanceTimersByTime(15_000);
      expect(await nextText(reader)).toBeNull();
      expect(liveStreamCount()).toBe(0);
      expect(changeListenerCount()).toBe(0);
    } finally {
      vi.useRealTimers();
    }
  });

  it('applies a supervisor’s new teams from the next heartbeat on', async () => {
    await createServiceToken(db, { role: 'supervisor', name: 'travel', teamIds: ['tm_travel'] }); // the team exists
    const { token: own, userId } = await createServiceToken(db, {
      role: 'supervisor',
      name: 'moved',
      teamIds: ['tm_retail'],
    });
    fakeIntervals();
    const reader = await connected(await open(undefined, own));
    try {
      await db.update(userTeams).set({ teamId: 'tm_travel' }).where(eq(userTeams.userId, userId));
      vi.advanceTimersByTime(15_000);
      // The heartbeat comes once the check is done.
      expect(await nextText(reader)).toBe(': heartbeat\n\n');
      await ingestEvents(
        db,
        [
          created('pr_moved_retail', 0, { teamId: 'tm_retail' }),
          created('pr_moved_travel', 0, { teamId: 'tm_travel' }),
        ],
        'api',
      );
      // One read outstanding at a time (a read given up on would swallow the chunk it gets later).
      let text = '';
      let read = reader.read();
      await vi.waitFor(
        async () => {
          vi.advanceTimersByTime(1_000); // the feed's poll (SQLite; PostgreSQL is told at once)
          const got = await Promise.race([read, new Promise<null>((resolve) => setTimeout(() => resolve(null), 200))]);
          if (got?.value) {
            text += new TextDecoder().decode(got.value);
            read = reader.read();
          }
          expect(text).toContain('pr_moved_travel');
        },
        { timeout: 10_000, interval: 50 },
      );
      const ids = [...text.matchAll(/"requestId":"([^"]+)"/g)].map((match) => match[1]);
      expect(ids).toEqual(['pr_moved_travel']);
    } finally {
      await reader.cancel();
      vi.useRealTimers();
    }
  });

  it('leaves nothing registered or subscribed when the client left before the stream was answered', async () => {
    const controller = new AbortController();
    controller.abort();
    const response = await open(controller.signal);
    // The stream still joins the feed, then leaves it (live-stream.server.ts: `if (ended)`). 100 ms
    // gives a stream left subscribed time to show; joining takes queries and a LISTEN connection on
    // PostgreSQL, which a loaded machine can take longer over (a run here saw 1 listener at 100 ms),
    // so the leaving is waited for. Left subscribed, the count never comes back to 0.
    await new Promise((resolve) => setTimeout(resolve, 100));
    await vi.waitFor(
      () =>
        expect({ streams: liveStreamCount(), listeners: changeListenerCount() }).toEqual({ streams: 0, listeners: 0 }),
      { timeout: 10_000, interval: 20 },
    );
    expect(await response.text()).toBe('');
  });
});
