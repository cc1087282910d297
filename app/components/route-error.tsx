import { isRouteErrorResponse, Link, useRevalidator, useRouteError, useRouteLoaderData } from '@remix-run/react';
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
  return (
    <div className="card route-error" role="alert" data-error-kind={words.kind}>
      <h1>{words.title}</h1>
      <p>{words.message}</p>
      <p className="route-error-actions">
        {words.kind === 'offline' || words.kind === 'failed' ? (
          <button type="button" onClick={() => revalidator.revalidate()} disabled={revalidator.state !== 'idle'}>
            {revalidator.state !== 'idle' ? 'Trying…' : 'Try again'}
          </button>
        ) : null}
        <Link to={way.to}>{way.label}</Link>
      </p>
    </div>
  );
}
