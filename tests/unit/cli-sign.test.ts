import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { verifyWebhook } from '../../app/http/webhook-intake.server';
import { getEnv } from '../../app/lib/env.server';
import { signCurlHeaders } from '../../cli/sign';

/** The headers `npm run cli -- sign FILE` prints as curl arguments, read back. */
function headersOf(args: string): Headers {
  const headers = new Headers();
  for (const [, name, value] of args.matchAll(/-H '([a-z-]+): ([^']+)'/g)) headers.set(name!, value!);
  return headers;
}

describe('cli sign', () => {
  it('signs the file as the bytes curl sends, so the server verifies them', () => {
    const dir = mkdtempSync(join(tmpdir(), 'paylink-sign-'));
    const secret = getEnv().WEBHOOK_SECRET;
    const text = join(dir, 'event.json');
    writeFileSync(text, '{"id":"evt_1","name":"Zoë 日本"}\n');
    const headers = headersOf(signCurlHeaders(text));
    expect([...headers.keys()]).toEqual(['webhook-id', 'webhook-signature', 'webhook-timestamp']);
    expect(verifyWebhook(Buffer.from('{"id":"evt_1","name":"Zoë 日本"}\n'), headers, [secret])).toBe(true);
    expect(verifyWebhook(Buffer.from('{"id":"evt_1","name":"Zoe"}\n'), headers, [secret])).toBe(false);
    // Bytes that are not UTF-8 are signed as they are (the server then names the encoding: 400).
    const latin1 = join(dir, 'latin1.json');
    const bytes = Buffer.from([0x7b, 0x22, 0x6e, 0x22, 0x3a, 0x22, 0xe9, 0x22, 0x7d]);
    writeFileSync(latin1, bytes);
    expect(verifyWebhook(bytes, headersOf(signCurlHeaders(latin1)), [secret])).toBe(true);
  });
});
