import type { ActionFunctionArgs } from '@remix-run/node';
import { redirect } from '@remix-run/node';
import { getDb } from '../../db/client';
import { assertSameOrigin, clientIp, getViewer } from '../http/auth.server';
import { destroySession } from '../http/session.server';
import { redirecting } from '../lib/http.server';
import { recordAudit } from '../write/audit.server';

export const loader = redirecting(async function loader() {
  return redirect('/');
});

export const action = redirecting(async function action({ request }: ActionFunctionArgs) {
  assertSameOrigin(request);
  const db = getDb();
  const found = await getViewer(request);
  if (found) await recordAudit(db, { action: 'sign_out', actor: found.viewer, ip: clientIp(request) });
  return redirect('/login', { headers: { 'Set-Cookie': await destroySession(db, request) } });
});
