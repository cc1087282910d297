/**
 * On PostgreSQL a payment-requests export read in the server's thread holds a client of the pool (a
 * cursor in one REPEATABLE READ snapshot, rows.server.ts) for as long as its download lasts, and a
 * download lasts as long as its client wants: one that stops reading keeps it until the socket's idle
 * timeout (60 s, server.ts), one that reads a byte now and then for ever. The pool has 10 clients;
 * ten stalled downloads left sign-in, every page, the API and ingest waiting for one. HTTP downloads
 * therefore hold at most EXPORT_CURSORS of them at once in a process; the next is refused at once
 * (503 with Retry-After) instead of waiting, and everything else keeps the rest of the pool.
 * (The scheduled report run is not paced by a socket and takes no slot; it runs one at a time.)
 */
export const EXPORT_CURSORS = 3;
let held = 0;

/** Thrown by createExport when an HTTP download would take a cursor beyond EXPORT_CURSORS. */
export class ExportsBusyError extends Error {
  constructor() {
    super(`${EXPORT_CURSORS} exports are being downloaded already`);
  }
}

/** Takes a slot or throws ExportsBusyError; the function returned gives it back (once, however often called). */
export function takeExportCursor(): () => void {
  if (held >= EXPORT_CURSORS) throw new ExportsBusyError();
  held += 1;
  let released = false;
  return () => {
    if (released) return;
    released = true;
    held -= 1;
  };
}

/** Slots held now (for tests). */
export function exportCursorsHeld(): number {
  return held;
}
