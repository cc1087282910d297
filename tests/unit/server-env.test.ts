import { afterEach, describe, expect, it } from 'vitest';
import { assertSameOrigin } from '../../app/http/auth.server';
import { getEnv, resetEnvCache } from '../../app/lib/env.server';

const saved = { ...process.env };
afterEach(() => {
  process.env = { ...saved };
  resetEnvCache();
});

function envWith(values: Record<string, string | undefined>) {
  process.env = { ...saved, ...values };
  for (const [key, value] of Object.entries(values)) if (value === undefined) delete process.env[key];
  resetEnvCache();
  return getEnv;
}

describe('PUBLIC_URL (finding 8)', () => {
  it('is required in production', () => {
    expect(envWith({ NODE_ENV: 'production', PUBLIC_URL: undefined })).toThrow(/without PUBLIC_URL/);
  });

  it('keeps an http(s) origin, without a trailing slash', () => {
    expect(envWith({ NODE_ENV: 'production', PUBLIC_URL: 'https://desk.example.com/' })().PUBLIC_URL).toBe(
      'https://desk.example.com',
    );
    expect(envWith({ NODE_ENV: 'production', PUBLIC_URL: 'http://10.0.0.5:8080' })().PUBLIC_URL).toBe(
      'http://10.0.0.5:8080',
    );
  });

  it.each([
    'desk.example.com',
    'ftp://desk.example.com',
    'https://desk.example.com/app',
    'https://u:p@desk.example.com',
  ])('refuses %j', (value) => {
    expect(envWith({ NODE_ENV: 'production', PUBLIC_URL: value })).toThrow(/PUBLIC_URL: must be an http\(s\) origin/);
  });

  it('defaults to http://localhost:3000 in development', () => {
    expect(envWith({ NODE_ENV: 'development', PUBLIC_URL: undefined })().PUBLIC_URL).toBe('http://localhost:3000');
  });
});

describe('assertSameOrigin (finding 13)', () => {
  const post = (headers: Record<string, string>) =>
    new Request('http://desk.test/api/v1/payment-requests', {
      method: 'POST',
      headers: { host: 'desk.test', ...headers },
    });

  it.each<Record<string, string>>([
    { origin: 'null' },
    { origin: 'not a url' },
    { origin: 'https://evil.example' },
    {},
    { referer: 'x' },
  ])('answers 403 bad_origin for %j', async (headers) => {
    let thrown: unknown;
    try {
      assertSameOrigin(post(headers));
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(Response);
    expect((thrown as Response).status).toBe(403);
    expect(await (thrown as Response).json()).toEqual({
      error: { code: 'bad_origin', message: 'Cross-site request refused' },
    });
  });

  it('lets our own origin, or a referer on it, through', () => {
    expect(() => assertSameOrigin(post({ origin: 'http://desk.test' }))).not.toThrow();
    expect(() => assertSameOrigin(post({ referer: 'http://desk.test/agent' }))).not.toThrow();
  });
});
