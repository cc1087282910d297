import { connect, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeDatabase, openDatabaseUrl } from '../../db/client';
import { queryRows } from '../support/db';
import { created } from '../support/events';
import { postEvents, signedHeaders, startServer, type TestServer } from '../support/server';

const SLOW_SENDERS = 20;
const BODY_TIMEOUT_MS = 4_000;
let server: TestServer;

beforeAll(async () => {
  server = await startServer({ REQUEST_TIMEOUT_MS: String(BODY_TIMEOUT_MS) });
});
afterAll(() => server.stop());

/** A signed POST whose 2 KB body goes out one byte a second; collects whatever the server answers. */
function slowUpload(index: number): { socket: Socket; answer: Promise<string> } {
  const body = JSON.stringify({ ...created(`pr_slow_${index}`), padding: 'x'.repeat(2000) });
  const headers = signedHeaders(body, server.webhookSecret);
  const { port } = new URL(server.url);
  const socket = connect(Number(port), '127.0.0.1');
  const head = [
    'POST /api/v1/events HTTP/1.1',
    `Host: 127.0.0.1:${port}`,
    ...Object.entries(headers).map(([name, value]) => `${name}: ${value}`),
    `Content-Length: ${Buffer.byteLength(body)}`,
    '',
    '',
  ].join('\r\n');
  socket.write(head);
  let sent = 0;
  const timer = setInterval(() => {
    if (socket.destroyed) return clearInterval(timer);
    socket.write(body.slice(sent, sent + 1));
    sent += 1;
  }, 1_000);
  let received = '';
  const answer = new Promise<string>((resolve) => {
    socket.on('data', (chunk) => {
      received += chunk.toString('latin1');
    });
    socket.on('close', () => {
      clearInterval(timer);
      resolve(received);
    });
    socket.on('error', () => {});
  });
  return { socket, answer };
}

describe('slow uploads (finding 3)', () => {
  it('do not take the intake slots from a genuine sender, and are cut off at the body deadline', async () => {
    const uploads = Array.from({ length: SLOW_SENDERS }, (_, index) => slowUpload(index));
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    const started = Date.now();
    const answers: number[] = [];
    for (let i = 0; i < 3; i++) {
      const response = await postEvents(server, JSON.stringify(created(`pr_genuine_${i}`)));
      answers.push(response.status);
      expect(await response.json()).toMatchObject({ accepted: 1, rejected: 0 });
    }
    expect(answers).toEqual([200, 200, 200]);
    console.log(`genuine sender beside ${SLOW_SENDERS} slow uploads: 3 batches in ${Date.now() - started} ms`);

    // Node's requestTimeout: each slow upload gets 408 and its connection closed, nothing stored.
    const outcomes = await Promise.all(uploads.map((upload) => upload.answer));
    for (const outcome of outcomes) expect(outcome).toMatch(/^HTTP\/1\.1 408 Request Timeout/);
    const count = await fetch(`${server.url}/healthz`);
    expect(count.status).toBe(200);
    const db = openDatabaseUrl(server.dbFile);
    try {
      const stored = await queryRows<{ request_id: string }>(db, 'SELECT request_id FROM events ORDER BY request_id');
      expect(stored.map((row) => row.request_id)).toEqual(['pr_genuine_0', 'pr_genuine_1', 'pr_genuine_2']);
    } finally {
      await closeDatabase(db);
    }
  }, 30_000);
});
