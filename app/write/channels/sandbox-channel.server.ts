import { randomUUID } from 'node:crypto';
import { type Db, writeTransaction } from '../../../db/client';
import { outboundMessages } from '../../../db/tables';
import type { ChannelAdapter, OutboundMessage, SendResult } from './channel-adapter';

/**
 * Recipients the sandbox refuses, so the send-failed path can be shown and tested:
 * a phone number ending in 0000 fails with `recipient_unreachable`.
 */
export const SANDBOX_FAILING_SUFFIX = '0000';
export const SANDBOX_FAILURE_REASON = 'recipient_unreachable';

/** The built-in channel: delivers nothing, records every message (text with the link) in outbound_messages. */
export function createSandboxChannel(db: Db, clock: () => number = Date.now): ChannelAdapter {
  return {
    name: 'sandbox',
    async send(message: OutboundMessage): Promise<SendResult> {
      const id = `msg_${randomUUID()}`;
      const fails = message.recipient.replace(/\D/g, '').endsWith(SANDBOX_FAILING_SUFFIX);
      await writeTransaction(
        db,
        async () =>
          await db.insert(outboundMessages).values({
            id,
            requestId: message.requestId,
            channel: message.channel,
            recipient: message.recipient,
            text: message.text,
            status: fails ? 'failed' : 'delivered',
            failureReason: fails ? SANDBOX_FAILURE_REASON : null,
            createdAt: clock(),
          }),
      );
      return fails
        ? { status: 'failed', messageId: id, reason: SANDBOX_FAILURE_REASON }
        : { status: 'delivered', messageId: id };
    },
  };
}
