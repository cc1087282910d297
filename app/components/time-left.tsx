import { useEffect, useState } from 'react';
import { numberFormat } from '../lib/intl-cache';
import { useLocale } from './use-locale';

/** Set once the document has hydrated: a `serverNow` after that came from a loader fetch, read as it landed. */
let documentHydrated = false;

/** Called by the root layout's effect, which runs after every effect of the hydrating page's clocks. */
export function markDocumentHydrated() {
  documentHydrated = true;
}

/**
 * The browser's monotonic time at which a clock showing `serverNow` starts. The server read the
 * document's `now` after the browser sent its request (`requestStart`), and a slow phone may hydrate
 * seconds later: counting from hydration would show those seconds as time still left (a pay page
 * would offer a Pay the server then refuses as too late). Counting from the request errs the safe
 * way, by the server's own time and the network's. Data a loader fetches later counts from its landing.
 */
function clockStart(): number {
  const now = performance.now();
  if (documentHydrated) return now;
  const [navigation] = performance.getEntriesByType('navigation') as PerformanceNavigationTiming[];
  return navigation && navigation.requestStart > 0 ? Math.min(now, navigation.requestStart) : now;
}

/**
 * A clock that starts at the server's `now` (so the first client render matches the server's)
 * and advances by the browser's monotonic time from when that `now` was read (see `clockStart`):
 * a wrong clock on the device does not skew it.
 */
export function useServerClock(serverNow: number, tickMs = 1000): number {
  const [now, setNow] = useState(serverNow);
  useEffect(() => {
    const start = clockStart();
    const tick = () => setNow(serverNow + (performance.now() - start));
    tick();
    const timer = setInterval(tick, tickMs);
    return () => clearInterval(timer);
  }, [serverNow, tickMs]);
  return now;
}

/**
 * Milliseconds as 'm:ss' (or 'h:mm:ss'), rounded up so 0:00 means the time is really over, in the
 * reader's digits ('٤:١٢' in ar-EG) as the amount and the times beside it are.
 */
export function formatCountdown(ms: number, locale = 'en'): string {
  const total = Math.max(0, Math.ceil(ms / 1000));
  const hours = Math.floor(total / 3600);
  const n = (value: number) => numberFormat(locale, { useGrouping: false }).format(value);
  const nn = (value: number) => numberFormat(locale, { useGrouping: false, minimumIntegerDigits: 2 }).format(value);
  const minutes = Math.floor((total % 3600) / 60);
  const seconds = nn(total % 60);
  return hours > 0 ? `${n(hours)}:${nn(minutes)}:${seconds}` : `${n(minutes)}:${seconds}`;
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
  const locale = useLocale();
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
      {over ? 'Time is up' : `${formatCountdown(left, locale)}${suffix}`}
    </span>
  );
}
