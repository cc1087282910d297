import type { LoaderFunctionArgs } from '@remix-run/node';
import { redirect } from '@remix-run/node';
import { HOME_BY_ROLE, requireViewer } from '../http/auth.server';
import { redirecting } from '../lib/http.server';

/** `/` sends each role to its home page (SPEC §6). */
export const loader = redirecting(async function loader({ request }: LoaderFunctionArgs) {
  const viewer = await requireViewer(request);
  throw redirect(HOME_BY_ROLE[viewer.role]);
});
