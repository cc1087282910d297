import { describe, expect, it } from 'vitest';
import { idempotencyKeySchema, newIdempotencyKey } from '../../app/write/idempotency-keys.server';

describe('the keys the server makes for its own forms', () => {
  it('are never one the key check refuses as a card number (a UUID can read as one): the next is taken', () => {
    const made = ['send-4111-1111-1111-1111', 'send-3f2a6b1c'];
    expect(idempotencyKeySchema.safeParse(made[0]).success).toBe(false);
    const key = newIdempotencyKey(() => made.shift()!);
    expect(key).toBe('send-3f2a6b1c');
    expect(idempotencyKeySchema.safeParse(key).success).toBe(true);
  });

  it('are random UUIDs otherwise', () => {
    expect(newIdempotencyKey()).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });
});
