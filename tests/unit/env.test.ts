import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  DEFAULT_DATABASE_URL,
  databaseUrlFromEnv,
  getEnv,
  resetEnvCache,
  sqliteCacheMbFromEnv,
} from '../../app/lib/env.server';
import { openDatabase } from '../../db/client';

const saved = { ...process.env };

function withEnv(values: Record<string, string | undefined>) {
  for (const [key, value] of Object.entries(values)) {
    if (value === undefined) delete process.env[key];
    else process.env[key] = value;
  }
  resetEnvCache();
}

afterEach(() => {
  process.env = { ...saved };
  resetEnvCache();
});

describe('getEnv validates every variable at start', () => {
  it('reads EXPORT_WORKERS and EXPIRY_SWEEP_MS as numbers, EXPORT_WORKERS unset by default', () => {
    withEnv({ EXPORT_WORKERS: undefined, EXPIRY_SWEEP_MS: undefined });
    expect(getEnv().EXPORT_WORKERS).toBeUndefined();
    expect(getEnv().EXPIRY_SWEEP_MS).toBe(2000);
    withEnv({ EXPORT_WORKERS: '0', EXPIRY_SWEEP_MS: '500' });
    expect(getEnv().EXPORT_WORKERS).toBe(0);
    expect(getEnv().EXPIRY_SWEEP_MS).toBe(500);
  });

  it.each([
    ['EXPORT_WORKERS', 'two'],
    ['EXPORT_WORKERS', '-1'],
    ['EXPIRY_SWEEP_MS', '10'],
    ['LINK_TTL_OPENED', '30'],
    ['ORG_TIMEZONE', 'Mars/Olympus'],
    ['TRUSTED_PROXY_HOPS', '9'],
    ['SQLITE_CACHE_MB', '1'],
    ['SQLITE_CACHE_MB', '512MB'],
  ])('refuses %s=%s, naming it', (key, value) => {
    withEnv({ [key]: value });
    expect(() => getEnv()).toThrow(new RegExp(`Invalid environment:\\n  ${key}: `));
  });

  it('defaults DATABASE_URL to data/app.db, for the app and for the tools alike', () => {
    withEnv({ DATABASE_URL: undefined });
    expect(DEFAULT_DATABASE_URL).toBe('data/app.db');
    expect(databaseUrlFromEnv()).toBe('data/app.db');
    withEnv({ DATABASE_URL: 'tmp/other.db' });
    expect(databaseUrlFromEnv()).toBe('tmp/other.db');
  });

  it('takes a postgres:// or postgresql:// DATABASE_URL', () => {
    withEnv({ DATABASE_URL: 'postgres://app:secret@db.internal:5432/paylink' });
    expect(databaseUrlFromEnv()).toBe('postgres://app:secret@db.internal:5432/paylink');
    withEnv({ DATABASE_URL: 'postgresql://db.internal/paylink' });
    expect(databaseUrlFromEnv()).toBe('postgresql://db.internal/paylink');
  });

  it('takes a file: URL as its file', () => {
    withEnv({ DATABASE_URL: 'file:tmp/probe.db' });
    expect(databaseUrlFromEnv()).toBe('tmp/probe.db');
    withEnv({ DATABASE_URL: 'file:///srv/paylink/app.db' });
    expect(databaseUrlFromEnv()).toBe('/srv/paylink/app.db');
  });

  it('refuses any other URL instead of making a folder of that name', () => {
    for (const url of ['mysql://db.internal/paylink', 'sqlite:data/app.db', 'file://db.internal/app.db', 'file:']) {
      withEnv({ DATABASE_URL: url });
      expect(() => databaseUrlFromEnv()).toThrow(
        'Invalid environment:\n  DATABASE_URL: is an SQLite file path (or file: URL) or a postgres:// URL',
      );
    }
  });
});

describe('SQLITE_CACHE_MB bounds the page cache of every SQLite connection openDatabase makes', () => {
  const cacheOf = (options?: { cacheMb: number }) => {
    const db = openDatabase(':memory:', options);
    const kib = db.$client.pragma('cache_size', { simple: true });
    db.$client.close();
    return kib;
  };

  it('is 512 MB by default, the variable otherwise, and an explicit option over both', () => {
    withEnv({ SQLITE_CACHE_MB: undefined });
    expect(sqliteCacheMbFromEnv()).toBe(512);
    expect(cacheOf()).toBe(-524_288);
    withEnv({ SQLITE_CACHE_MB: '64' });
    expect(getEnv().SQLITE_CACHE_MB).toBe(64);
    expect(cacheOf()).toBe(-65_536);
    expect(cacheOf({ cacheMb: 16 })).toBe(-16_384);
  });

  it('refuses a value out of bounds before opening anything, naming the variable', () => {
    const folder = join(mkdtempSync(join(tmpdir(), 'cache-mb-')), 'not-made');
    for (const value of ['100000', '']) {
      withEnv({ SQLITE_CACHE_MB: value });
      expect(() => sqliteCacheMbFromEnv()).toThrow(/Invalid environment:\n {2}SQLITE_CACHE_MB: /);
      expect(() => openDatabase(join(folder, 'app.db'))).toThrow(/SQLITE_CACHE_MB/);
    }
    expect(existsSync(folder)).toBe(false);
  });
});

describe('development secrets', () => {
  it('are generated once, kept beside the database, and printed (SPEC §7)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'paylink-dev-secrets-'));
    withEnv({
      NODE_ENV: 'development',
      SESSION_SECRET: undefined,
      WEBHOOK_SECRET: undefined,
      DATABASE_URL: join(dir, 'app.db'),
    });
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    try {
      const { SESSION_SECRET, WEBHOOK_SECRET } = getEnv();
      expect(existsSync(join(dir, 'dev-secrets.json'))).toBe(true);
      expect(warn.mock.calls.map((call) => String(call[0]))).toEqual([
        `Development secrets generated and kept in ${join(dir, 'dev-secrets.json')}:\n  WEBHOOK_SECRET=${WEBHOOK_SECRET}\n  SESSION_SECRET=${SESSION_SECRET}`,
      ]);
      // Read back, not generated again: nothing printed the second time.
      resetEnvCache();
      expect(getEnv()).toMatchObject({ SESSION_SECRET, WEBHOOK_SECRET });
      expect(warn).toHaveBeenCalledTimes(1);
    } finally {
      warn.mockRestore();
    }
  });
});
