import { describe, expect, it } from 'vitest';
import { currentStatus } from '../../app/domain/current-status';

describe('currentStatus', () => {
  it('is expired once a non-terminal request is past its expiresAt, and in time at exactly expiresAt', () => {
    expect(currentStatus('sent', 1000, 1000)).toBe('sent');
    expect(currentStatus('sent', 1000, 1001)).toBe('expired');
    expect(currentStatus('opened', 1000, 5000)).toBe('expired');
    expect(currentStatus('send_failed', 1000, 5000)).toBe('expired');
  });

  it('leaves terminal requests and requests without an expiry as they are', () => {
    expect(currentStatus('paid', 1000, 5000)).toBe('paid');
    expect(currentStatus('canceled', 1000, 5000)).toBe('canceled');
    expect(currentStatus('created', null, 5000)).toBe('created');
  });
});
