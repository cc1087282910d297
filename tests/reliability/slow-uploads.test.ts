import { connect, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { MAX_RECEIVING_BYTES, MAX_RECEIVING_BYTES_PER_ADDRESS } from '../../app/http/webhook-intake.server';
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

/**
 * A POST from `address` (X-Forwarded-For, the server trusting one proxy) declaring a body of
 * `declared` bytes, of which `sent` go out at once and the rest never: its answer's status line.
 */
function stalledUpload(
  target: TestServer,
  address: string,
  headers: Record<string, string>,
  declared: number,
  sent: Buffer,
): { socket: Socket; status: Promise<string> } {
  const { port } = new URL(target.url);
  const socket = connect(Number(port), '127.0.0.1');
  socket.on('error', () => {});
  const head = [
    'POST /api/v1/events HTTP/1.1',
    `Host: 127.0.0.1:${port}`,
    `X-Forwarded-For: ${address}`,
    ...Object.entries(headers).map(([name, value]) => `${name}: ${value}`),
    `Content-Length: ${declared}`,
    '',
    '',
  ].join('\r\n');
  socket.write(head);
  if (sent.length > 0) socket.write(sent);
  const status = new Promise<string>((resolve) => {
    let received = '';
    const done = () => resolve(received.split('\r\n')[0] ?? '');
    socket.on('data', (chunk) => {
      received += chunk.toString('latin1');
      if (received.includes('\r\n')) done();
    });
    socket.on('close', done);
  });
  return { socket, status };
}

describe('uploads that never end, from one address (hostile-input audit, session 31)', () => {
  let proxied: TestServer;
  beforeAll(async () => {
    proxied = await startServer({ REQUEST_TIMEOUT_MS: '20000', TRUSTED_PROXY_HOPS: '1' });
  });
  afterAll(() => proxied.stop());

  it('without signature headers: 401 before the body is taken in', async () => {
    const upload = stalledUpload(
      proxied,
      '198.51.100.7',
      { 'content-type': 'application/json' },
      9_000_000,
      Buffer.alloc(0),
    );
    expect(await upload.status).toBe('HTTP/1.1 401 Unauthorized');
    upload.socket.destroy();
  });

  it("hold at most the address's share: a signed sender elsewhere is still served", async () => {
    // Forged headers (a fresh timestamp, a signature nobody checks until the body has arrived).
    const forged = { ...signedHeaders('{}', proxied.webhookSecret), 'content-type': 'application/json' };
    // Bodies that would fill the whole budget to within a few bytes if all were held.
    const count = 14;
    const part = Buffer.alloc(Math.floor(MAX_RECEIVING_BYTES / count), 0x20);
    const uploads = Array.from({ length: count }, () =>
      stalledUpload(proxied, '198.51.100.66', forged, part.length + 1_000, part),
    );
    const answers: string[] = [];
    for (const upload of uploads) void upload.status.then((line) => answers.push(line));
    try {
      // Past the address's share they are refused as they arrive; at most a share's worth stays held.
      const heldAtMost = Math.floor(MAX_RECEIVING_BYTES_PER_ADDRESS / part.length);
      await vi.waitFor(() => expect(answers.length).toBeGreaterThanOrEqual(count - heldAtMost), { timeout: 15_000 });
      expect(answers.every((line) => line === 'HTTP/1.1 503 Service Unavailable')).toBe(true);
      const body = JSON.stringify(created('pr_beside'));
      const genuine = await fetch(`${proxied.url}/api/v1/events`, {
        method: 'POST',
        headers: { ...signedHeaders(body, proxied.webhookSecret), 'x-forwarded-for': '203.0.113.5' },
        body,
      });
      expect(genuine.status).toBe(200);
      expect(await genuine.json()).toMatchObject({ accepted: 1 });
    } finally {
      for (const upload of uploads) upload.socket.destroy();
    }
  }, 60_000);
});
