import { useEffect, useRef, useState } from 'react';

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
 * Subscribes to /api/v1/stream and calls `onChanges` with batches of changes, debounced.
 * Returns whether the stream is connected, so views can show that they are live.
 */
export function useLiveChanges(onChanges: (changes: LiveChange[]) => void, debounceMs = 750): boolean {
  const [connected, setConnected] = useState(false);
  const callback = useRef(onChanges);
  callback.current = onChanges;

  useEffect(() => {
    const source = new EventSource('/api/v1/stream');
    let pending: LiveChange[] = [];
    let timer: ReturnType<typeof setTimeout> | null = null;
    source.onopen = () => setConnected(true);
    source.onerror = () => setConnected(false);
    source.addEventListener('change', (event) => {
      pending.push(JSON.parse((event as MessageEvent<string>).data) as LiveChange);
      timer ??= setTimeout(() => {
        const batch = pending;
        pending = [];
        timer = null;
        callback.current(batch);
      }, debounceMs);
    });
    return () => {
      if (timer) clearTimeout(timer);
      source.close();
    };
  }, [debounceMs]);

  return connected;
}
