import type { Db } from '../../../db/client';
import type { Channel } from '../../domain/lifecycle';
import type { ChannelAdapter } from './channel-adapter';
import { createSandboxChannel } from './sandbox-channel.server';

export type { ChannelAdapter, OutboundMessage, SendResult } from './channel-adapter';

/** The adapter for a channel. Only the sandbox exists so far; real providers plug in here, per channel. */
export function channelAdapterFor(db: Db, _channel: Channel): ChannelAdapter {
  return createSandboxChannel(db);
}
