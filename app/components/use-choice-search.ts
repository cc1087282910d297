import { useEffect, useState } from 'react';
import type { AgentSearchResult } from '../read/agent-choices';

/** What the server answered for the text now in the box, or why it has not. */
export type ChoiceSearch =
  | { status: 'idle' }
  | { status: 'loading'; q: string }
  | { status: 'done'; q: string; result: AgentSearchResult }
  | { status: 'failed'; q: string; message: string };

/** Typing pauses this long before the server is asked: one request per word, not per key. */
const DEBOUNCE_MS = 250;

/** Why a search failed, in words a person can act on. */
function failureMessage(status: number | null): string {
  if (status === null) return 'Could not reach the server. Check the connection and type again.';
  if (status === 401 || status === 403) return 'You are signed out. Reload the page to sign in again.';
  return `The search failed (error ${status}). Type again to retry.`;
}

/**
 * Asks `path?q=` for the text `q` once typing pauses, the previous question aborted (its answer
 * would be for other text); idle while `q` is null (the page's own list is shown).
 */
export function useChoiceSearch(path: string, q: string | null): ChoiceSearch {
  const [search, setSearch] = useState<ChoiceSearch>({ status: 'idle' });
  useEffect(() => {
    if (q === null) return setSearch({ status: 'idle' });
    setSearch({ status: 'loading', q });
    const controller = new AbortController();
    const timer = setTimeout(async () => {
      let response: Response;
      try {
        response = await fetch(`${path}?${new URLSearchParams({ q })}`, {
          signal: controller.signal,
          headers: { Accept: 'application/json' },
        });
      } catch {
        if (!controller.signal.aborted) setSearch({ status: 'failed', q, message: failureMessage(null) });
        return;
      }
      if (controller.signal.aborted) return;
      if (!response.ok) return setSearch({ status: 'failed', q, message: failureMessage(response.status) });
      try {
        const result = (await response.json()) as AgentSearchResult;
        if (!controller.signal.aborted) setSearch({ status: 'done', q, result });
      } catch {
        if (!controller.signal.aborted) setSearch({ status: 'failed', q, message: failureMessage(response.status) });
      }
    }, DEBOUNCE_MS);
    return () => {
      clearTimeout(timer);
      controller.abort();
    };
  }, [path, q]);
  return search;
}
