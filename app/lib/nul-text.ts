/*
 * A NUL character (U+0000) in a text we are sent. PostgreSQL's text cannot hold one (a write or a
 * search with it was a 500 there), and no field of ours means one: it is refused, on either engine.
 */

/**
 * Whether a parsed JSON value holds a NUL in a key or a string. Allocates nothing: it runs on every
 * ingested event. Recursive: call it on a value whose depth is bounded (ingest checks MAX_EVENT_DEPTH first).
 */
export function holdsNul(value: unknown): boolean {
  if (typeof value === 'string') return value.includes('\u0000');
  if (value === null || typeof value !== 'object') return false;
  for (const key in value) {
    if (key.includes('\u0000') || holdsNul((value as Record<string, unknown>)[key])) return true;
  }
  return false;
}

/**
 * Where the first NUL is in a parsed JSON value (document order): its dotted path
 * (`paymentRequest.reason`; a NUL within a key shown as `\0`), `body` for a string on its own, else
 * null. Walks with its own stack: any depth JSON.parse gives is safe.
 */
export function nulPath(value: unknown): string | null {
  const stack: [unknown, string][] = [[value, '']];
  while (stack.length > 0) {
    const [current, path] = stack.pop()!;
    if (typeof current === 'string') {
      if (current.includes('\u0000')) return path || 'body';
      continue;
    }
    if (current === null || typeof current !== 'object') continue;
    const entries = Object.entries(current);
    for (let i = entries.length - 1; i >= 0; i--) {
      const [key, item] = entries[i]!;
      const at = `${path ? `${path}.` : ''}${key.replaceAll('\u0000', '\\0')}`;
      stack.push(key.includes('\u0000') ? [key, at] : [item, at]);
    }
  }
  return null;
}
