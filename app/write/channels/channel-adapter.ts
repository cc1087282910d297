import type { Channel } from '../../domain/lifecycle';

/** A message handed to a chat channel: the customer's pay link, in words. */
export interface OutboundMessage {
  requestId: string;
  channel: Channel;
  /** The customer's phone in E.164 (the address on every channel the SPEC names). */
  recipient: string;
  text: string;
}

export type SendResult =
  | { status: 'delivered'; messageId: string }
  | { status: 'failed'; messageId: string; reason: string };

/**
 * A way to reach customers (WhatsApp, SMS, web chat, email providers). Sending may be slow and
 * may fail; a failure is an answer, not an exception: it becomes a `send_failed` event.
 */
export interface ChannelAdapter {
  readonly name: string;
  send(message: OutboundMessage): Promise<SendResult>;
}
