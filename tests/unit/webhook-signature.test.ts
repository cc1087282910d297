import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { Webhook } from 'standardwebhooks';
import { describe, expect, it } from 'vitest';
import { verifyWebhook, webhookSignature } from '../../app/http/webhook-intake.server';

// The intake signs with Node's HMAC (issue 14's ingest profile); senders use standardwebhooks.

const secretOf = (bytes: Uint8Array) => `whsec_${Buffer.from(bytes).toString('base64')}`;

describe('webhookSignature', () => {
  it("spells every signature as standardwebhooks' Webhook.sign does (property)", () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 1, maxLength: 64 }),
        fc.string({ maxLength: 40 }),
        fc.integer({ min: 0, max: 99_999_999_999 }),
        fc.string({ unit: 'grapheme', maxLength: 2000 }),
        (key, id, seconds, payload) => {
          const secret = secretOf(key);
          expect(webhookSignature(secret, id, seconds, payload)).toBe(
            new Webhook(secret).sign(id, new Date(seconds * 1000), payload),
          );
        },
      ),
      { numRuns: 300 },
    );
  });

  it('reads secrets as the package does: with or without whsec_, base64 of any length', () => {
    const payload = '{"id":"evt_1"}\n';
    for (const key of [randomBytes(24).toString('base64'), 'dGVzdAx', 'abcdefghijklmnopq', 'dGVzdA']) {
      const packaged = new Webhook(`whsec_${key}`).sign('msg_1', new Date(1_700_000_000_000), payload);
      expect(webhookSignature(`whsec_${key}`, 'msg_1', 1_700_000_000, payload)).toBe(packaged);
      expect(webhookSignature(key, 'msg_1', 1_700_000_000, payload)).toBe(packaged);
    }
  });

  it('verifies a body the package signed, under the current or the previous secret, and nothing else', () => {
    const [current, previous] = [secretOf(randomBytes(32)), secretOf(randomBytes(32))];
    const now = 1_700_000_000_000;
    const body = '{"id":"evt_1","type":"payment_request.sent"}\n{"id":"evt_2"}\n';
    const headers = (secret: string, text = body) =>
      new Headers({
        'webhook-id': 'msg_1',
        'webhook-timestamp': String(now / 1000),
        'webhook-signature': `v1,AAAA ${new Webhook(secret).sign('msg_1', new Date(now), text)}`,
      });
    expect(verifyWebhook(body, headers(current), [current, previous], now)).toBe(true);
    expect(verifyWebhook(body, headers(previous), [current, previous], now)).toBe(true);
    expect(verifyWebhook(body, headers(previous), [current], now)).toBe(false);
    expect(verifyWebhook(`${body} `, headers(current), [current], now)).toBe(false);
    expect(verifyWebhook(body, headers(current), ['whsec_not base64!', current], now)).toBe(true);
    expect(verifyWebhook(body, headers(current), ['whsec_not base64!'], now)).toBe(false);
    expect(verifyWebhook(body, headers(current), [current], now + 301_000)).toBe(false);
  });
});
