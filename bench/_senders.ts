import { randomBytes } from 'node:crypto';
import { Agent, request } from 'node:http';
import { webhookSignature } from '../app/http/webhook-intake.server';
import type { SeedEvent } from '../seed/generate';

/** NDJSON bodies of `size` events each, in the order given. */
export function ndjsonBatches(events: readonly SeedEvent[], size: number): string[] {
  const bodies: string[] = [];
  for (let at = 0; at < events.length; at += size) {
    bodies.push(
      events
        .slice(at, at + size)
        .map((event) => JSON.stringify(event))
        .join('\n'),
    );
  }
  return bodies;
}

export interface SendResult {
  events: number;
  ms: number;
  eventsPerSecond: number;
  /** Milliseconds per batch, sorted. */
  latencies: number[];
}

/**
 * Posts the bodies to /api/v1/events, signed, from `senders` concurrent senders taking the next
 * body as each finishes. Throws unless every event of every batch is accepted. The senders share
 * the server's two cores here (in production they are other machines), so they are kept lean: they
 * sign with Node's HMAC (the same signature as standardwebhooks' sign(),
 * tests/unit/webhook-signature.test.ts), not the package's JavaScript SHA-256 (about 5 ms a batch
 * of 1,000), and post with node:http on kept-alive connections rather than fetch (undici's fetch
 * took 8.7 ms of CPU a batch of 1,000 into the 1M database, a quarter of a core beside the server;
 * the bench prints the senders' CPU a batch).
 */
export async function sendBatches(
  baseUrl: string,
  webhookSecret: string,
  bodies: readonly string[],
  senders: number,
): Promise<SendResult> {
  const latencies: number[] = [];
  // Counted before the clock starts: the sender's own work is not the server's.
  const counts = bodies.map((body) => body.split('\n').length);
  const url = new URL('/api/v1/events', baseUrl);
  const agent = new Agent({ keepAlive: true, maxSockets: senders });
  let next = 0;
  let events = 0;
  const sender = async () => {
    for (let index = next++; index < bodies.length; index = next++) {
      const body = bodies[index]!;
      const id = `msg_${randomBytes(8).toString('hex')}`;
      const seconds = Math.floor(Date.now() / 1000);
      const t0 = performance.now();
      const response = await post(url, agent, body, {
        'content-type': 'application/x-ndjson',
        'webhook-id': id,
        'webhook-timestamp': String(seconds),
        'webhook-signature': webhookSignature(webhookSecret, id, seconds, body),
      });
      if (response.status !== 200) throw new Error(`HTTP ${response.status}: ${response.text}`);
      const result = JSON.parse(response.text) as { accepted: number; rejected: number; duplicates: number };
      latencies.push(performance.now() - t0);
      const sent = counts[index]!;
      if (result.accepted !== sent) {
        throw new Error(`batch ${index}: ${result.accepted} of ${sent} accepted (${response.text.slice(0, 300)})`);
      }
      events += sent;
    }
  };
  const started = performance.now();
  try {
    await Promise.all(Array.from({ length: senders }, sender));
  } finally {
    agent.destroy();
  }
  const ms = performance.now() - started;
  latencies.sort((a, b) => a - b);
  return { events, ms, eventsPerSecond: events / (ms / 1000), latencies };
}

/** One POST on the agent's connections: its status and body text. */
function post(
  url: URL,
  agent: Agent,
  body: string,
  headers: Record<string, string>,
): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      { method: 'POST', agent, headers: { ...headers, 'content-length': Buffer.byteLength(body) } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}
