import { getDb } from '../../db/client';
import { changeListenerCount } from '../http/change-feed.server';

/** 200 when the database answers (SPEC §4), with the live-update listeners held (leaks show here). */
export function loader() {
  try {
    getDb().$client.prepare('SELECT 1').get();
    return Response.json({ status: 'ok', liveStreams: changeListenerCount() });
  } catch {
    return Response.json({ status: 'unavailable' }, { status: 503 });
  }
}
