import { isRouteErrorResponse, Link, useRouteError } from '@remix-run/react';

/** What went wrong, in words: a 400's field message, a 404, or a generic failure. Keeps the app shell around it. */
export function RouteError({ backTo, backLabel }: { backTo: string; backLabel: string }) {
  const error = useRouteError();
  let title = 'Something went wrong';
  let message = 'The page could not be loaded. Please try again; if it keeps happening, tell your administrator.';
  if (isRouteErrorResponse(error)) {
    const data = error.data as { error?: { message?: string } } | string | null;
    if (error.status === 404) {
      title = 'Not found';
      message = 'There is nothing here you may see.';
    } else if (error.status === 400) {
      title = 'These filters do not work';
      message = typeof data === 'string' ? data : (data?.error?.message ?? message);
    } else if (error.status === 403) {
      title = 'Not for your role';
      message = typeof data === 'string' ? data : 'Your role may not open this page.';
    }
  }
  return (
    <div className="card route-error" role="alert">
      <h1>{title}</h1>
      <p>{message}</p>
      <p>
        <Link to={backTo}>{backLabel}</Link>
      </p>
    </div>
  );
}
