import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Webhook } from 'standardwebhooks';
import { getEnv } from '../app/lib/env.server';

/** The three Standard Webhooks headers for a body, as curl arguments. */
export function signCurlHeaders(file: string): string {
  const body = readFileSync(file, 'utf8');
  const id = `msg_${randomUUID()}`;
  const at = new Date();
  const signature = new Webhook(getEnv().WEBHOOK_SECRET).sign(id, at, body);
  return [
    `-H 'webhook-id: ${id}'`,
    `-H 'webhook-timestamp: ${Math.floor(at.getTime() / 1000)}'`,
    `-H 'webhook-signature: ${signature}'`,
  ].join(' ');
}
