import { getDb } from '../../db/client';

export function loader() {
  try {
    getDb().$client.prepare('SELECT 1').get();
    return Response.json({ status: 'ok' });
  } catch {
    return Response.json({ status: 'unavailable' }, { status: 503 });
  }
}
