import { useFetchers, useNavigation, useRevalidator } from '@remix-run/react';
import { useCallback, useEffect, useRef, useState } from 'react';

export interface LiveChange {
  seq: number;
  requestId: string;
  agentId: string;
  teamId: string;
  status: string;
  statusLabel: string;
  expiresAt: number | null;
}

/**
 * `live`: the stream is connected. `connecting`: not yet, or reconnecting for a moment.
 * `paused`: down for more than PAUSE_AFTER_MS; the page reloads its data every POLL_MS meanwhile.
 */
export type LiveState = 'connecting' | 'live' | 'paused';

export const PAUSE_AFTER_MS = 4000;
export const POLL_MS = 10_000;
const RECONNECT_MS = [2000, 5000, 10_000, 30_000];

/**
 * Reloads the page's data once nothing else is loading or being sent. A reload asked for meanwhile
 * waits (the running load may have read the data before the change) instead of starting at once:
 * React Router lets a reload begun while a fetcher's form is answered win over that answer's
 * redirect, and a live update of the agent's own send, arriving before the send was answered, left
 * the sent request's details and used key in the form (the next send was refused as the key's reuse).
 */
export function useRevalidateWhenIdle(): () => void {
  const revalidator = useRevalidator();
  const navigation = useNavigation();
  const fetchers = useFetchers();
  const busy =
    revalidator.state !== 'idle' || navigation.state !== 'idle' || fetchers.some((fetcher) => fetcher.state !== 'idle');
  const current = useRef({ busy, revalidate: revalidator.revalidate });
  current.current = { busy, revalidate: revalidator.revalidate };
  const pending = useRef(false);
  useEffect(() => {
    if (busy || !pending.current) return;
    pending.current = false;
    current.current.revalidate();
  }, [busy]);
  return useCallback(() => {
    if (current.current.busy) pending.current = true;
    else current.current.revalidate();
  }, []);
}

/**
 * Subscribes to the change stream (`/api/v1/stream`, or the embedded panel's) and calls `onChanges`
 * with batches of changes, debounced. When the stream stays down (a proxy cut it, the server
 * restarted, the network dropped) the page says so and falls back to polling: it reloads its data at
 * once and then every POLL_MS until the stream is back. A stream the browser gave up on (an error
 * status closes an EventSource for good) is opened again with backoff.
 */
export function useLiveChanges(
  onChanges: (changes: LiveChange[]) => void,
  debounceMs = 750,
  streamUrl = '/api/v1/stream',
): LiveState {
  const [state, setState] = useState<LiveState>('connecting');
  const callback = useRef(onChanges);
  callback.current = onChanges;
  const revalidate = useRevalidateWhenIdle();

  useEffect(() => {
    let source: EventSource | null = null;
    let pending: LiveChange[] = [];
    let debounce: ReturnType<typeof setTimeout> | null = null;
    let pauseTimer: ReturnType<typeof setTimeout> | null = null;
    let reconnectTimer: ReturnType<typeof setTimeout> | null = null;
    let pollTimer: ReturnType<typeof setInterval> | null = null;
    let attempts = 0;
    let stopped = false;

    const poll = () => {
      revalidate();
    };
    const stopPolling = () => {
      if (pollTimer) clearInterval(pollTimer);
      pollTimer = null;
    };
    const down = () => {
      setState((current) => (current === 'paused' ? current : 'connecting'));
      pauseTimer ??= setTimeout(() => {
        setState('paused');
        poll();
        pollTimer ??= setInterval(poll, POLL_MS);
      }, PAUSE_AFTER_MS);
    };
    const connect = () => {
      source = new EventSource(streamUrl);
      source.onopen = () => {
        attempts = 0;
        if (pauseTimer) clearTimeout(pauseTimer);
        pauseTimer = null;
        // Changes made while the stream was down arrive from Last-Event-ID only within one
        // EventSource: after a pause, reload once to be sure.
        if (pollTimer) poll();
        stopPolling();
        setState('live');
      };
      source.onerror = () => {
        down();
        if (source?.readyState === EventSource.CLOSED && !stopped) {
          source.close();
          const wait = RECONNECT_MS[Math.min(attempts++, RECONNECT_MS.length - 1)]!;
          reconnectTimer = setTimeout(connect, wait);
        }
      };
      source.addEventListener('change', (event) => {
        pending.push(JSON.parse((event as MessageEvent<string>).data) as LiveChange);
        debounce ??= setTimeout(() => {
          const batch = pending;
          pending = [];
          debounce = null;
          callback.current(batch);
        }, debounceMs);
      });
    };
    connect();
    return () => {
      stopped = true;
      for (const timer of [debounce, pauseTimer, reconnectTimer]) if (timer) clearTimeout(timer);
      stopPolling();
      source?.close();
    };
  }, [debounceMs, streamUrl, revalidate]);

  return state;
}
