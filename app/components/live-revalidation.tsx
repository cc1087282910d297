import { useRevalidator } from '@remix-run/react';
import { useCallback, useEffect, useRef, useState } from 'react';
import type { Filters } from '../read/filters';
import { type LiveChange, useLiveChanges } from './use-live-changes';

/**
 * Reloads the page's data when a status change the view could count arrives on the stream
 * (debounced; one reload at a time). Returns whether the stream is connected.
 */
export function useLiveRevalidation(filters: Pick<Filters, 'team' | 'agent'>): boolean {
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

/** "Live" while the stream is connected; before hydration (or without JS) a plain refresh link. */
export function LiveIndicator({ live, refreshHref }: { live: boolean; refreshHref: string }) {
  const [hydrated, setHydrated] = useState(false);
  useEffect(() => setHydrated(true), []);
  if (!hydrated) {
    return (
      <a href={refreshHref} className="button secondary small">
        Refresh
      </a>
    );
  }
  return (
    <span
      className={live ? 'live-dot' : 'live-dot offline'}
      data-testid="live"
      title={live ? 'Updates as events arrive' : 'Reconnecting to live updates'}
    >
      {live ? 'Live' : 'Connecting…'}
    </span>
  );
}
