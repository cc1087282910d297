import { describe, expect, it } from 'vitest';
import { formatCountdown } from '../../app/components/time-left';

describe('formatCountdown', () => {
  it('counts down in m:ss or h:mm:ss, rounded up so 0:00 is really over', () => {
    expect(formatCountdown(252_000)).toBe('4:12');
    expect(formatCountdown(251_001)).toBe('4:12');
    expect(formatCountdown(5_000)).toBe('0:05');
    expect(formatCountdown(-1)).toBe('0:00');
    expect(formatCountdown(3_723_000)).toBe('1:02:03');
  });

  it('writes the reader’s digits, as the amount and the times beside it', () => {
    // Latin '4:12 left' sat beside '٣٦١٫٢١ US$' and Arabic-digit times in ar-EG.
    expect(formatCountdown(252_000, 'ar-EG')).toBe('٤:١٢');
    expect(formatCountdown(3_723_000, 'ar-EG')).toBe('١:٠٢:٠٣');
    expect(formatCountdown(36_000_000, 'fr-FR')).toBe('10:00:00');
    expect(formatCountdown(5_000, 'hi-IN-u-nu-deva')).toBe('०:०५');
  });
});
