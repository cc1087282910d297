import type { LoaderFunctionArgs } from '@remix-run/node';
import { currentViewer, requireViewer } from '../http/auth.server';
import { changeStreamResponse } from '../http/live-stream.server';
import { readOnlyRoute } from '../lib/http.server';

/** Server-Sent Events (SPEC §4): every status change the caller may see. */
export async function loader({ request }: LoaderFunctionArgs) {
  return changeStreamResponse(await requireViewer(request), request, () => currentViewer(request));
}

/** GET only (SPEC §4's error shape for any other method). */
export const action = readOnlyRoute;
