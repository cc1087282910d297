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

// N=2^15: an eighth of production's work, so the suite stays quick on a busy machine. The checks
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
    let finished = 0;
    const checks = Array.from({ length: 6 }, (_, i) =>
      verifyPassword(`wrong ${i}`, hash).then((result) => {
        finished += 1;
        return result;
      }),
    );
    // The loop's next turn, against the hashes' own progress rather than a clock: off the loop it comes
    // while all six are still running (each takes tens of ms at N=2^15); on the loop (scryptSync) it
    // comes only after whole hashes. A loaded machine delays both alike. (It compared the loop's longest
    // delay with an eighth of the run: a 40 ms pause of a busy machine failed it.)
    const finishedAtNextTurn = await new Promise<number>((resolve) => setImmediate(() => resolve(finished)));
    expect(await Promise.all(checks)).toEqual([false, false, false, false, false, false]);
    expect(finishedAtNextTurn).toBe(0);
  });

  it(`runs at most ${MAX_CONCURRENT_HASHES} at once, lets ${MAX_WAITING_HASHES} wait and refuses the next`, async () => {
    const started = Array.from({ length: MAX_CONCURRENT_HASHES + MAX_WAITING_HASHES }, () => hashPassword('x', 12));
    expect(passwordHashLoad()).toEqual({ running: MAX_CONCURRENT_HASHES, waiting: MAX_WAITING_HASHES });
    await expect(hashPassword('x', 12)).rejects.toBeInstanceOf(PasswordHashBusyError);
    expect((await Promise.all(started)).length).toBe(MAX_CONCURRENT_HASHES + MAX_WAITING_HASHES);
    expect(passwordHashLoad()).toEqual({ running: 0, waiting: 0 });
  });
});

/** Wrong sign-ins from one address: below MAX_FAILURES_PER_ADDRESS (20), so each is checked, not refused. */
const SIGN_INS = 12;

describe('sign-in under load over HTTP', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer({ PASSWORD_HASH_COST: String(LOAD_COST) });
  });
  afterAll(() => server.stop());

  it(`answers /healthz quickly while ${SIGN_INS} wrong sign-ins (unknown emails) are being checked`, async () => {
    const started = performance.now();
    const attempts = Array.from({ length: SIGN_INS }, (_, i) =>
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
    expect((await Promise.all(attempts)).map((response) => response.status)).toEqual(Array(SIGN_INS).fill(401));
    const elapsed = performance.now() - started;
    // Not a speed target: with hashing on the event loop the first /healthz waited for the queued hashes
    // (most of `elapsed`); off the loop it answers at once. Relative, so a busy machine (here
    // 2 cores at load 19) does not flake it; with six sign-ins a third of the run was 60-100 ms here,
    // which one /healthz of a busy CI machine can take, so the hashes now last twice as long.
    expect(Math.max(...latencies)).toBeLessThan(elapsed / 3);
  });
});
