import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createSandboxChannel, SANDBOX_FAILURE_REASON } from '../../app/write/channels/sandbox-channel.server';
import type { Db } from '../../db/client';
import { createTestDb } from '../support/db';

let db: Db;
beforeEach(async () => {
  db = (await createTestDb()).db;
});
afterEach(() => db.$client.close());

const outbound = () => db.$client.prepare('SELECT * FROM outbound_messages ORDER BY created_at').all();

describe('sandbox channel', () => {
  it('delivers and records the message with its text', async () => {
    const channel = createSandboxChannel(db, () => 1_000);
    const result = await channel.send({
      requestId: 'pr_1',
      channel: 'whatsapp',
      recipient: '+27821234567',
      text: 'Hi, please pay: https://desk.test/pay/abc',
    });
    expect(result).toEqual({ status: 'delivered', messageId: expect.stringMatching(/^msg_/) });
    expect(outbound()).toEqual([
      {
        id: result.messageId,
        request_id: 'pr_1',
        channel: 'whatsapp',
        recipient: '+27821234567',
        text: 'Hi, please pay: https://desk.test/pay/abc',
        status: 'delivered',
        failure_reason: null,
        created_at: 1_000,
      },
    ]);
  });

  it('fails for a phone ending in 0000, and records the failure', async () => {
    const channel = createSandboxChannel(db);
    const result = await channel.send({ requestId: 'pr_2', channel: 'sms', recipient: '+27820000000', text: 'link' });
    expect(result).toEqual({ status: 'failed', messageId: expect.any(String), reason: SANDBOX_FAILURE_REASON });
    expect(outbound()).toMatchObject([
      { request_id: 'pr_2', status: 'failed', failure_reason: 'recipient_unreachable' },
    ]);
  });

  it('does not fail a number that merely contains 0000', async () => {
    const result = await createSandboxChannel(db).send({
      requestId: 'pr_3',
      channel: 'sms',
      recipient: '+27800001234',
      text: 'link',
    });
    expect(result.status).toBe('delivered');
  });
});
