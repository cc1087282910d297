import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:net';

/** A free port on the loopback. */
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

export interface BenchServer {
  child: ChildProcess;
  url: string;
  webhookSecret: string;
}

/** The built app (as `npm start` serves it) on a free port and the given database; resolves once /healthz answers. */
export async function startBenchServer(databaseFile: string, env: Record<string, string> = {}): Promise<BenchServer> {
  // BENCH_PORT: a port of one's own on a shared machine (one server at a time); otherwise any free one.
  const port = process.env.BENCH_PORT ? Number(process.env.BENCH_PORT) : await freePort();
  const webhookSecret = `whsec_${randomBytes(24).toString('base64')}`;
  // BENCH_SERVER_FLAGS: node flags for the server, e.g. `--cpu-prof --cpu-prof-dir=tmp/prof` to profile a bench.
  const flags = (process.env.BENCH_SERVER_FLAGS ?? '').split(' ').filter(Boolean);
  const child = spawn('node', [...flags, 'build/server.js'], {
    env: {
      ...process.env,
      NODE_ENV: 'production',
      PORT: String(port),
      PUBLIC_URL: `http://127.0.0.1:${port}`,
      DATABASE_URL: databaseFile,
      WEBHOOK_SECRET: webhookSecret,
      SESSION_SECRET: randomBytes(32).toString('hex'),
      ...env,
    },
    // BENCH_SERVER_STDERR=1: the server's warnings and errors on the bench's stderr.
    stdio: ['ignore', 'ignore', process.env.BENCH_SERVER_STDERR ? 'inherit' : 'ignore'],
  });
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 400; i++) {
    try {
      if ((await fetch(`${url}/healthz`)).ok) return { child, url, webhookSecret };
    } catch {
      // starting
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  child.kill();
  throw new Error('server did not start');
}

/** Stops a bench server and waits until it has exited (its database is closed). */
export async function stopBenchServer(server: BenchServer): Promise<void> {
  if (server.child.exitCode !== null || server.child.signalCode !== null) return;
  const exited = new Promise((resolve) => server.child.once('exit', resolve));
  server.child.kill('SIGTERM');
  await exited;
}
