import { useRevalidator } from '@remix-run/react';
import { useCallback, useEffect, useRef, useState } from 'react';
import type { Filters } from '../read/filters';
import { type LiveChange, type LiveState, useLiveChanges } from './use-live-changes';

/**
 * Reloads the page's data when a status change the view could count arrives on the stream
 * (debounced; one reload at a time). Returns the stream's state.
 */
export function useLiveRevalidation(filters: Pick<Filters, 'team' | 'agent'>): LiveState {
  const revalidator = useRevalidator();
  const pending = useRef(false);
  const relevant = useCallback(
    (change: LiveChange) =>
      (filters.team.length === 0 || filters.team.includes(change.teamId)) &&
      (filters.agent.length === 0 || filters.agent.includes(change.agentId)),
    [filters.team, filters.agent],
  );
  const onChanges = useCallback(
    (changes: LiveChange[]) => {
      if (!changes.some(relevant)) return;
      if (revalidator.state === 'idle') revalidator.revalidate();
      else pending.current = true;
    },
    [relevant, revalidator],
  );
  useEffect(() => {
    if (revalidator.state === 'idle' && pending.current) {
      pending.current = false;
      revalidator.revalidate();
    }
  }, [revalidator]);
  return useLiveChanges(onChanges, 1000);
}

const LIVE_WORDS: Record<LiveState, { text: string; title: string }> = {
  live: { text: 'Live', title: 'Updates as events arrive' },
  connecting: { text: 'Connecting…', title: 'Connecting to live updates' },
  paused: {
    text: 'Live updates paused, retrying',
    title: 'The live connection dropped: this page reloads every 10 seconds until it is back',
  },
};

/** The stream's state in words; before hydration (or without JS) a plain refresh link. */
export function LiveIndicator({ live, refreshHref }: { live: LiveState; refreshHref: string }) {
  const [hydrated, setHydrated] = useState(false);
  useEffect(() => setHydrated(true), []);
  if (!hydrated) {
    return (
      <a href={refreshHref} className="button secondary small">
        Refresh
      </a>
    );
  }
  const words = LIVE_WORDS[live];
  return (
    <span
      className={`live-dot ${live === 'live' ? '' : live === 'paused' ? 'offline paused' : 'offline'}`.trim()}
      data-testid="live"
      data-state={live}
      role="status"
      title={words.title}
    >
      {words.text}
    </span>
  );
}
