import { useEffect, useState } from 'react';

/**
 * A clock that starts at the server's `now` (so the first client render matches the server's)
 * and advances by the browser's monotonic time: a wrong clock on the device does not skew it.
 */
export function useServerClock(serverNow: number, tickMs = 1000): number {
  const [now, setNow] = useState(serverNow);
  useEffect(() => {
    const start = performance.now();
    setNow(serverNow);
    const timer = setInterval(() => setNow(serverNow + (performance.now() - start)), tickMs);
    return () => clearInterval(timer);
  }, [serverNow, tickMs]);
  return now;
}

/** Milliseconds as 'm:ss' (or 'h:mm:ss'), rounded up so 0:00 means the time is really over. */
export function formatCountdown(ms: number): string {
  const total = Math.max(0, Math.ceil(ms / 1000));
  const hours = Math.floor(total / 3600);
  const minutes = Math.floor((total % 3600) / 60);
  const seconds = String(total % 60).padStart(2, '0');
  return hours > 0 ? `${hours}:${String(minutes).padStart(2, '0')}:${seconds}` : `${minutes}:${seconds}`;
}

/** Time left until `expiresAt`, counting down in the browser; calls `onExpired` once when it reaches zero. */
export function TimeLeft({
  expiresAt,
  now,
  onExpired,
  className,
  suffix = ' left',
}: {
  expiresAt: number;
  now: number;
  onExpired?: () => void;
  className?: string;
  /** Text after the countdown; empty where a label already says "Time left". */
  suffix?: string;
}) {
  const left = expiresAt - now;
  const over = left <= 0;
  useEffect(() => {
    if (!over || !onExpired) return;
    // Give the server's expiry sweep a moment to record the expiry before asking again.
    const timer = setTimeout(onExpired, 1500);
    return () => clearTimeout(timer);
  }, [over, onExpired]);
  return (
    <span className={className} role="timer" data-testid="time-left">
      {over ? 'Time is up' : `${formatCountdown(left)}${suffix}`}
    </span>
  );
}
