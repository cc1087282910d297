import { isRouteErrorResponse, Link, useRevalidator, useRouteError, useRouteLoaderData } from '@remix-run/react';
import { useEffect, useRef } from 'react';
import type { Role } from '../domain/access';
import { HOME_BY_ROLE, HOME_LABEL_BY_ROLE, roleMayOpen } from '../domain/navigation';

/** The signed-in shell's data (routes/_app), when it loaded: who is looking decides the way home. */
function useViewerRole(): Role | null {
  const shell = useRouteLoaderData<{ viewer?: { role: Role } }>('routes/_app');
  return shell?.viewer?.role ?? null;
}

/** A navigation that never reached the server: offline, or the connection dropped. */
export function isConnectionError(error: unknown): boolean {
  if (typeof navigator !== 'undefined' && navigator.onLine === false) return true;
  return error instanceof TypeError && /fetch|network|load failed/i.test(error.message);
}

export interface ErrorWords {
  title: string;
  message: string;
  kind: 'offline' | 'forbidden' | 'not_found' | 'bad_request' | 'failed';
}

/**
 * A refused request's words: the API's `{ error: { field, message } }` as '“currency” must be an ISO
 * 4217 currency code.' (the message's own 'currency: ' prefix is for API clients), plain text as it is.
 */
export function refusalText(data: unknown): string | null {
  if (typeof data === 'string') return data;
  const refused = (data as { error?: { message?: string; field?: string } } | null)?.error;
  if (!refused?.message) return null;
  if (!refused.field) return refused.message;
  const text = refused.message.replace(/^[\w.]+: /, '');
  return `“${refused.field}” ${text}${/[.!?]$/.test(text) ? '' : '.'}`;
}

/** What went wrong, in words. */
export function describeError(error: unknown): ErrorWords {
  if (isRouteErrorResponse(error)) {
    const text = refusalText(error.data);
    if (error.status === 403) {
      return { kind: 'forbidden', title: 'Not for your role', message: text ?? 'Your role may not open this page.' };
    }
    if (error.status === 404) {
      return { kind: 'not_found', title: 'Not found', message: 'There is nothing here you may see.' };
    }
    if (error.status === 400) {
      return {
        kind: 'bad_request',
        title: 'These filters do not work',
        message: text ?? 'The page could not be loaded with these settings.',
      };
    }
  }
  if (isConnectionError(error)) {
    return {
      kind: 'offline',
      title: 'No connection',
      message:
        'The page could not be loaded because this device is offline or cannot reach Paylink Desk. Check the connection, then try again.',
    };
  }
  return {
    kind: 'failed',
    title: 'Something went wrong',
    message: 'The page could not be loaded. Please try again; if it keeps happening, tell your administrator.',
  };
}

/** Seconds before each retry of a page that failed to load: a busy server's 503 or a dropped connection pass. */
export const RETRY_SECONDS = [5, 10, 30, 60] as const;

/**
 * A page that failed for a passing reason loads itself again, with backoff, as the live stream
 * reconnects: a live reload answered 503 by a busy server (or a blip of the network) replaced a
 * wall-screen dashboard or an agent's console with this error for good, until someone came to click.
 */
function useRetryByItself(enabled: boolean) {
  const revalidator = useRevalidator();
  const attempts = useRef(0);
  const idle = revalidator.state === 'idle';
  const revalidate = useRef(revalidator.revalidate);
  revalidate.current = revalidator.revalidate;
  useEffect(() => {
    if (!enabled || !idle) return;
    const seconds = RETRY_SECONDS[Math.min(attempts.current, RETRY_SECONDS.length - 1)]!;
    // Spread by a quarter either way: screens that failed on one busy moment do not all come back on
    // the same second.
    const timer = setTimeout(
      () => {
        attempts.current += 1;
        revalidate.current();
      },
      seconds * 1000 * (0.75 + Math.random() / 2),
    );
    return () => clearTimeout(timer);
  }, [enabled, idle]);
}

/**
 * An error inside the app's shell: a title, what happened, and a way on that this viewer may take:
 * their role's home for a forbidden page (never the page that refused them), `backTo` otherwise
 * when their role may open it, and Try again when the connection failed.
 */
export function RouteError({ backTo, backLabel }: { backTo?: string; backLabel?: string }) {
  const error = useRouteError();
  const role = useViewerRole();
  const words = describeError(error);
  const revalidator = useRevalidator();
  const home = role
    ? { to: HOME_BY_ROLE[role], label: HOME_LABEL_BY_ROLE[role] }
    : { to: '/', label: 'Back to the start' };
  const useBack =
    backTo !== undefined &&
    backLabel !== undefined &&
    words.kind !== 'forbidden' &&
    role !== null &&
    roleMayOpen(role, backTo);
  const way = useBack ? { to: backTo, label: backLabel } : home;
  const passing = words.kind === 'offline' || words.kind === 'failed';
  useRetryByItself(passing);
  return (
    <div className="card route-error" role="alert" data-error-kind={words.kind}>
      <h1>{words.title}</h1>
      <p>{words.message}</p>
      {passing ? <p className="muted small">This page tries again by itself every few seconds.</p> : null}
      <p className="route-error-actions">
        {passing ? (
          <button type="button" onClick={() => revalidator.revalidate()} disabled={revalidator.state !== 'idle'}>
            {revalidator.state !== 'idle' ? 'Trying…' : 'Try again'}
          </button>
        ) : null}
        <Link to={way.to}>{way.label}</Link>
      </p>
    </div>
  );
}
