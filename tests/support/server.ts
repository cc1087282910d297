import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import { Webhook } from 'standardwebhooks';
import { closeTestDb, createTestDb } from './db';

export interface TestServer {
  url: string;
  /** The server's own process (spawned as `node build/server.js`): for its memory, or a signal. */
  pid: number;
  dbFile: string;
  webhookSecret: string;
  /** What the server has printed so far (stdout and stderr). */
  output(): string;
  stop(): Promise<void>;
}

export function newWebhookSecret(): string {
  return `whsec_${randomBytes(24).toString('base64')}`;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

/**
 * Starts the built app (build/server.js, as `npm start` does) on its own database, or on
 * `options.dbFile` (a file or a database URL) to run a second instance beside another.
 */
export async function startServer(
  env: Record<string, string> = {},
  options: { dbFile?: string } = {},
): Promise<TestServer> {
  let file = options.dbFile;
  if (!file) {
    const test = await createTestDb();
    await closeTestDb(test.db);
    file = test.file;
  }
  const { child, url, webhookSecret, output } = await spawnServer(file, env);
  // 30 s: a loaded machine (2 cores, both engines' tests at once) has taken over 10 s to start one.
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`Server exited early:\n${output()}`);
    try {
      if ((await fetch(`${url}/healthz`)).ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      // Not left behind: a server that started after its test gave up ran until someone killed it.
      child.kill('SIGKILL');
      throw new Error(`Server did not start:\n${output()}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return {
    url,
    pid: child.pid!,
    dbFile: file,
    webhookSecret,
    output,
    stop: () =>
      new Promise((resolve) => {
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

/**
 * `node build/server.js` on `file` (a database file or URL) and a free port, with fresh secrets:
 * the process, its URL and what it has printed (stdout and stderr) so far. startServer waits for it
 * to answer; a test of how it starts (or refuses to) reads its exit and output itself.
 */
export async function spawnServer(file: string, env: Record<string, string> = {}) {
  const port = await freePort();
  const webhookSecret = env.WEBHOOK_SECRET ?? newWebhookSecret();
  const child: ChildProcess = spawn('node', ['build/server.js'], {
    env: {
      ...process.env,
      NODE_ENV: 'production',
      PORT: String(port),
      PUBLIC_URL: `http://127.0.0.1:${port}`,
      DATABASE_URL: file,
      WEBHOOK_SECRET: webhookSecret,
      SESSION_SECRET: randomBytes(32).toString('hex'),
      EXPIRY_SWEEP_MS: '500',
      PASSWORD_HASH_COST: '12',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (chunk) => {
    output += chunk;
  });
  child.stderr?.on('data', (chunk) => {
    output += chunk;
  });
  return { child, url: `http://127.0.0.1:${port}`, webhookSecret, output: () => output };
}

/** Standard Webhooks headers for a body; `secrets` may hold several (rotation: space-separated signatures). */
export function signedHeaders(
  body: string,
  secrets: string | string[],
  options: { timestamp?: Date; contentType?: string } = {},
): Record<string, string> {
  const id = `msg_${randomBytes(8).toString('hex')}`;
  const timestamp = options.timestamp ?? new Date();
  const signature = (Array.isArray(secrets) ? secrets : [secrets])
    .map((secret) => new Webhook(secret).sign(id, timestamp, body))
    .join(' ');
  return {
    'content-type': options.contentType ?? 'application/json',
    'webhook-id': id,
    'webhook-timestamp': String(Math.floor(timestamp.getTime() / 1000)),
    'webhook-signature': signature,
  };
}

export async function postEvents(
  server: TestServer,
  body: string,
  options: { contentType?: string; secrets?: string[] } = {},
) {
  return fetch(`${server.url}/api/v1/events`, {
    method: 'POST',
    headers: signedHeaders(body, options.secrets ?? server.webhookSecret, { contentType: options.contentType }),
    body,
  });
}
