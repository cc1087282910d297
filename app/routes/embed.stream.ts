import type { LoaderFunctionArgs } from '@remix-run/node';
import { currentViewer, getEmbedAccess } from '../http/auth.server';
import { changeStreamResponse } from '../http/live-stream.server';
import { apiError } from '../lib/http.server';

/** The embedded agent panel's live updates: /api/v1/stream's changes, for the panel's own session cookie. */
export async function loader({ request }: LoaderFunctionArgs) {
  const access = await getEmbedAccess(request);
  if (access.kind !== 'signed_in') throw apiError(401, 'unauthorized', 'Sign in to the agent panel first');
  return changeStreamResponse(access.viewer, request, () => currentViewer(request, 'embed'));
}
