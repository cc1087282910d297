import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Db, sqlRows } from '../../../db/client';

const found = new Map<string, string>();
const warned = new Set<string>();

/**
 * A built worker (`npm run build:workers`): the file `override` names, else beside the server
 * build (build/index.js), else under ./build when run from source. Kept once found; while it is
 * missing (looked for again each time, so a later build is picked up) it says so once, and what
 * it would do (exports, ingest preparation, q searches) runs in the server's thread.
 */
export function workerBundle(bundle: string, override: string | undefined): string | null {
  const known = found.get(bundle);
  if (known) return known;
  const candidates = [override, fileURLToPath(new URL(bundle, import.meta.url)), resolve('build', bundle)];
  const file = candidates.find((candidate): candidate is string => !!candidate && existsSync(candidate));
  if (file) {
    found.set(bundle, file);
    return file;
  }
  if (!warned.has(bundle)) {
    warned.add(bundle);
    console.warn(`${bundle} is not built (npm run build:workers): its work runs in the server's thread.`);
  }
  return null;
}

/** Whether [start, end) holds at least `rows` requests by the sentAt index alone (the other filters aside): one short index walk. */
export async function rangeHoldsAtLeast(
  db: Db,
  rows: number,
  start: number | null,
  end: number | null,
): Promise<boolean> {
  if (rows <= 0) return true;
  const hits = await sqlRows(
    db,
    'SELECT 1 AS hit FROM payment_requests WHERE sent_at >= ? AND sent_at < ? ORDER BY sent_at LIMIT 1 OFFSET ?',
    [start ?? Number.MIN_SAFE_INTEGER, end ?? Number.MAX_SAFE_INTEGER, rows - 1],
  );
  return hits.length > 0;
}
