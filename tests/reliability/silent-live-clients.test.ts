import { connect, type Socket } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createServiceToken } from '../../app/write/api-tokens.server';
import { closeDatabase, openDatabaseUrl } from '../../db/client';
import { created } from '../support/events';
import { residentBytes } from '../support/http';
import { postEvents, startServer, type TestServer } from '../support/server';

const USERS = 10;
const PER_USER = 10;
const TOTAL = 105;
const INGEST_MS = 8_000;
const BATCH = 50;
/**
 * A "does not hang" bound: the finding was /healthz timing out for 12 minutes. On the 2-core machine,
 * with helpers' tests beside it (load 3-5), a run measured 1,033 ms against the 2 s this was; CI adds
 * the other engine's worker and PostgreSQL.
 */
const HEALTHZ_BOUND_MS = 10_000;
let server: TestServer;
let tokens: string[];

beforeAll(async () => {
  server = await startServer({ LIVE_STREAMS_PER_USER: String(PER_USER), LIVE_STREAMS_TOTAL: String(TOTAL) });
  const db = openDatabaseUrl(server.dbFile);
  tokens = [];
  for (let i = 0; i <= USERS; i++)
    tokens.push((await createServiceToken(db, { role: 'manager', name: `watcher ${i}` })).token);
  await closeDatabase(db);
}, 60_000);
afterAll(() => server.stop());

const opened: Socket[] = [];
afterEach(() => {
  for (const socket of opened.splice(0)) socket.destroy();
});

/** A live-update connection over a raw socket that never reads past the response's status line. */
async function openStream(token: string): Promise<{ socket: Socket; status: number }> {
  const { port } = new URL(server.url);
  const socket = connect(Number(port), '127.0.0.1');
  opened.push(socket);
  socket.on('error', () => {});
  socket.write(
    ['GET /api/v1/stream HTTP/1.1', `Host: 127.0.0.1:${port}`, `Authorization: Bearer ${token}`, '', ''].join('\r\n'),
  );
  const status = await new Promise<number>((resolve) => {
    socket.once('data', (chunk) => {
      socket.pause();
      resolve(Number(/^HTTP\/1\.1 (\d{3})/.exec(chunk.toString('latin1'))?.[1] ?? 0));
    });
  });
  return { socket, status };
}

/** A live-update connection that reads everything sent to it, until stopped. */
async function watchStream(token: string): Promise<{ received(): string; stop(): Promise<void> }> {
  const abort = new AbortController();
  const response = await fetch(`${server.url}/api/v1/stream`, {
    headers: { authorization: `Bearer ${token}` },
    signal: abort.signal,
  });
  expect(response.status).toBe(200);
  const decoder = new TextDecoder();
  let text = '';
  const reading = (async () => {
    const body = response.body!.getReader();
    try {
      for (let chunk = await body.read(); !chunk.done; chunk = await body.read()) {
        text += decoder.decode(chunk.value, { stream: true });
      }
    } catch {
      // aborted by stop()
    }
  })();
  return {
    received: () => text,
    stop: async () => {
      abort.abort();
      await reading;
    },
  };
}

interface Health {
  liveStreams: number;
  liveStreamQueuedBytes: number;
}

async function health(): Promise<Health> {
  const response = await fetch(`${server.url}/healthz`);
  expect(response.status).toBe(200);
  return (await response.json()) as Health;
}

async function liveStreams(): Promise<number> {
  return (await health()).liveStreams;
}

async function until(check: () => Promise<boolean>, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe('live-update connections (finding 1)', () => {
  it('are unsubscribed when their sockets close, and capped per user (429)', async () => {
    const streams = await Promise.all(Array.from({ length: PER_USER }, () => openStream(tokens[0]!)));
    expect(streams.map((stream) => stream.status)).toEqual(Array(PER_USER).fill(200));
    expect(await liveStreams()).toBe(PER_USER);
    const extra = await openStream(tokens[0]!);
    expect(extra.status).toBe(429);
    extra.socket.destroy();
    for (const { socket } of streams) socket.destroy();
    await until(async () => (await liveStreams()) === 0);
  });

  it('100 clients that never read: RSS and /healthz stay bounded, the cap in all answers 503, nothing leaks', async () => {
    const before = await residentBytes(server.pid);
    const silent = await Promise.all(
      Array.from({ length: USERS * PER_USER }, (_, i) => openStream(tokens[i % USERS]!)),
    );
    expect(silent.every((stream) => stream.status === 200)).toBe(true);
    const last = tokens[USERS]!;
    const more = await Promise.all(Array.from({ length: TOTAL - USERS * PER_USER }, () => openStream(last)));
    expect(more.every((stream) => stream.status === 200)).toBe(true);
    const refused = await openStream(last);
    expect(refused.status).toBe(503);
    refused.socket.destroy();
    for (const { socket } of more) socket.destroy();
    await until(async () => (await liveStreams()) === USERS * PER_USER);
    // One client that reads, in a slot the others freed: the changes do flow to the streams.
    const reader = await watchStream(last);

    // Changes flow to every stream while /healthz is timed and the server's memory sampled.
    let peak = before;
    let queuedPeak = 0;
    let slowest = 0;
    let events = 0;
    const started = Date.now();
    const probe = (async () => {
      while (Date.now() - started < INGEST_MS) {
        const t = performance.now();
        queuedPeak = Math.max(queuedPeak, (await health()).liveStreamQueuedBytes);
        slowest = Math.max(slowest, performance.now() - t);
        peak = Math.max(peak, await residentBytes(server.pid));
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
    })();
    let lastId = '';
    for (let batch = 0; Date.now() - started < INGEST_MS; batch++) {
      lastId = `pr_live_${batch}_${BATCH - 1}`;
      const body = Array.from({ length: BATCH }, (_, i) => JSON.stringify(created(`pr_live_${batch}_${i}`))).join('\n');
      const response = await postEvents(server, body, { contentType: 'application/x-ndjson' });
      expect(response.status).toBe(200);
      await response.body?.cancel();
      events += BATCH;
    }
    await probe;
    await until(async () => reader.received().includes(`"requestId":"${lastId}"`));
    await reader.stop();
    // The client that reads gets every change, once and in order, however large a poll's batch.
    const ids = [...reader.received().matchAll(/"requestId":"(pr_live_\d+_\d+)"/g)].map((match) => match[1]);
    expect(ids.length).toBe(events);
    expect(new Set(ids).size).toBe(events);
    const cursors = [...reader.received().matchAll(/^id: (\d+)$/gm)].map((match) => Number(match[1]));
    expect(cursors.every((cursor, i) => i === 0 || cursor > cursors[i - 1]!)).toBe(true);
    const dropped = USERS * PER_USER - (await liveStreams());
    console.log(
      `100 silent SSE clients: ${events} events in ${INGEST_MS} ms; RSS ${(before / 2 ** 20).toFixed(0)} -> peak ` +
        `${(peak / 2 ** 20).toFixed(0)} MB; at most ${queuedPeak} B queued for them; slowest /healthz ` +
        `${slowest.toFixed(0)} ms; ${dropped} clients dropped`,
    );
    // The precise bound: what the process holds for the clients is at most 64 KB each plus one
    // chunk of a poll's batch (100 changes, ~20 KB), whatever the kernel's socket buffers absorb and
    // however many changes a poll finds (up to 5,000: at 5,000 events a second they were queued
    // whole, ~700 KB a client).
    expect(queuedPeak).toBeLessThanOrEqual(USERS * PER_USER * 128 * 1024);
    // A gross-leak guard only: ingesting 15-20k events alone grows the heap and page cache by
    // 60-160 MB here before V8 collects (CI measured 120 MB), so RSS cannot be bounded tightly.
    expect(peak - before).toBeLessThan(400 * 2 ** 20);
    expect(slowest).toBeLessThan(HEALTHZ_BOUND_MS);
    for (const { socket } of silent) socket.destroy();
    await until(async () => (await liveStreams()) === 0);
  }, 60_000);
});
