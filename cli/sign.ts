import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { webhookSignature } from '../app/http/webhook-intake.server';
import { getEnv } from '../app/lib/env.server';

/** The three Standard Webhooks headers for a body, as curl arguments: signed over the file's bytes, as curl sends them. */
export function signCurlHeaders(file: string): string {
  const body = readFileSync(file);
  const id = `msg_${randomUUID()}`;
  const seconds = Math.floor(Date.now() / 1000);
  const signature = webhookSignature(getEnv().WEBHOOK_SECRET, id, seconds, body);
  const headers = { 'webhook-id': id, 'webhook-timestamp': seconds, 'webhook-signature': signature };
  return Object.entries(headers)
    .map(([name, value]) => `-H '${name}: ${value}'`)
    .join(' ');
}
