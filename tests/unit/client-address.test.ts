import { describe, expect, it } from 'vitest';
import { forwardedClientAddress } from '../../app/http/auth.server';

describe('the client address behind trusted proxies', () => {
  it('ignores X-Forwarded-For when no proxy is trusted: a client can write anything there', () => {
    expect(forwardedClientAddress('203.0.113.9', 0)).toBeNull();
    expect(forwardedClientAddress(null, 0)).toBeNull();
  });

  it('takes the entry the nearest trusted proxy appended, not what the client sent', () => {
    // The client sent "X-Forwarded-For: 1.2.3.4"; our proxy appended the address it saw.
    expect(forwardedClientAddress('1.2.3.4, 203.0.113.9', 1)).toBe('203.0.113.9');
    expect(forwardedClientAddress('203.0.113.9', 1)).toBe('203.0.113.9');
    // A CDN in front of a load balancer: the CDN appended the client, the balancer the CDN.
    expect(forwardedClientAddress('1.2.3.4,203.0.113.9 , 198.51.100.2', 2)).toBe('203.0.113.9');
  });

  it('answers null when there are fewer entries than trusted proxies, or none', () => {
    expect(forwardedClientAddress('203.0.113.9', 2)).toBeNull();
    expect(forwardedClientAddress('', 1)).toBeNull();
    expect(forwardedClientAddress(' , ', 1)).toBeNull();
  });
});
