import { getDb, sqlRows } from '../../db/client';
import { changeListenerCount, liveStreamQueuedBytes } from '../http/change-feed.server';
import { readOnlyRoute } from '../lib/http.server';

/**
 * 200 when the database answers (SPEC §4), with the live-update listeners held and the bytes queued
 * for them in this process (leaks and unbounded queues show here).
 */
export async function loader() {
  try {
    await sqlRows(getDb(), 'SELECT 1');
    return Response.json({
      status: 'ok',
      liveStreams: changeListenerCount(),
      liveStreamQueuedBytes: liveStreamQueuedBytes(),
    });
  } catch {
    return Response.json({ status: 'unavailable' }, { status: 503 });
  }
}

/** GET only (SPEC §4's error shape for any other method). */
export const action = readOnlyRoute;
