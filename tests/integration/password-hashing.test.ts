import { monitorEventLoopDelay } from 'node:perf_hooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { passwordHashCostFromEnv } from '../../app/lib/env.server';
import {
  hashPassword,
  MAX_CONCURRENT_HASHES,
  MAX_WAITING_HASHES,
  PasswordHashBusyError,
  passwordHashLoad,
  verifyPassword,
} from '../../app/lib/password.server';
import { startServer, type TestServer } from '../support/server';

// N=2^15: an eighth of production's work, so the suite stays quick on a busy machine. The bounds
// below are relative to the hashes' own duration: scryptSync would block the loop for each whole hash.
const LOAD_COST = 15;

describe('password hashing', () => {
  it('hashes at PASSWORD_HASH_COST, keeps N in the hash, and verifies hashes made at another cost', async () => {
    expect(passwordHashCostFromEnv()).toBe(10); // vitest.config.ts
    const cheap = await hashPassword('a long enough password');
    expect(cheap).toMatch(/^scrypt\$1024\$8\$1\$[A-Za-z0-9+/=]{24}\$[A-Za-z0-9+/=]{44}$/);
    const strong = await hashPassword('a long enough password', 12);
    expect(strong.split('$')[1]).toBe('4096');
    expect(await verifyPassword('a long enough password', cheap)).toBe(true);
    expect(await verifyPassword('a long enough password', strong)).toBe(true);
    expect(await verifyPassword('another password', strong)).toBe(false);
    // A stored N out of the bounds we make ourselves is refused, not allocated.
    expect(await verifyPassword('a long enough password', strong.replace('$4096$', '$4194304$'))).toBe(false);
    expect(await verifyPassword('a long enough password', strong.replace('$4096$', '$3000$'))).toBe(false);
  });

  it('validates PASSWORD_HASH_COST: 10 to 20', () => {
    const before = process.env.PASSWORD_HASH_COST;
    try {
      process.env.PASSWORD_HASH_COST = '9';
      expect(() => passwordHashCostFromEnv()).toThrow(/PASSWORD_HASH_COST/);
      process.env.PASSWORD_HASH_COST = '21';
      expect(() => passwordHashCostFromEnv()).toThrow(/PASSWORD_HASH_COST/);
      delete process.env.PASSWORD_HASH_COST;
      expect(passwordHashCostFromEnv()).toBe(17);
    } finally {
      process.env.PASSWORD_HASH_COST = before;
    }
  });

  it('keeps the event loop free while six hashes run', async () => {
    const hash = await hashPassword('the real password', LOAD_COST);
    const delay = monitorEventLoopDelay({ resolution: 10 });
    delay.enable();
    const started = performance.now();
    const results = await Promise.all(Array.from({ length: 6 }, (_, i) => verifyPassword(`wrong ${i}`, hash)));
    const elapsed = performance.now() - started;
    delay.disable();
    expect(results).toEqual([false, false, false, false, false, false]);
    // On the loop, six hashes run one after another (elapsed = 6 hashes) and each blocks it for a whole
    // hash: a delay of elapsed/6, above this bound. Off the loop, two at a time, elapsed is about 3
    // hashes and the loop only waits for GC and callbacks, well under elapsed/8.
    expect(delay.max / 1e6).toBeLessThan(elapsed / 8);
  });

  it(`runs at most ${MAX_CONCURRENT_HASHES} at once, lets ${MAX_WAITING_HASHES} wait and refuses the next`, async () => {
    const started = Array.from({ length: MAX_CONCURRENT_HASHES + MAX_WAITING_HASHES }, () => hashPassword('x', 12));
    expect(passwordHashLoad()).toEqual({ running: MAX_CONCURRENT_HASHES, waiting: MAX_WAITING_HASHES });
    await expect(hashPassword('x', 12)).rejects.toBeInstanceOf(PasswordHashBusyError);
    expect((await Promise.all(started)).length).toBe(MAX_CONCURRENT_HASHES + MAX_WAITING_HASHES);
    expect(passwordHashLoad()).toEqual({ running: 0, waiting: 0 });
  });
});

describe('sign-in under load over HTTP', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer({ PASSWORD_HASH_COST: String(LOAD_COST) });
  });
  afterAll(() => server.stop());

  it('answers /healthz quickly while six wrong sign-ins (unknown emails) are being checked', async () => {
    const started = performance.now();
    const attempts = Array.from({ length: 6 }, (_, i) =>
      fetch(`${server.url}/login`, {
        method: 'POST',
        redirect: 'manual',
        headers: { 'content-type': 'application/x-www-form-urlencoded', origin: server.url },
        body: new URLSearchParams({ email: `nobody${i}@example.test`, password: 'wrong password' }).toString(),
      }),
    );
    await new Promise((resolve) => setTimeout(resolve, 100));
    const latencies: number[] = [];
    for (let i = 0; i < 5; i++) {
      const started = performance.now();
      expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
      latencies.push(performance.now() - started);
    }
    expect((await Promise.all(attempts)).map((response) => response.status)).toEqual([401, 401, 401, 401, 401, 401]);
    const elapsed = performance.now() - started;
    // Not a speed target: with hashing on the event loop the first /healthz waited for the queued hashes
    // (most of `elapsed`); off the loop it answers at once. Relative, so a busy machine (here
    // 2 cores at load 19) does not flake it.
    expect(Math.max(...latencies)).toBeLessThan(elapsed / 3);
  });
});
