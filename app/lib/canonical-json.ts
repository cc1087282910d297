import { createHash } from 'node:crypto';

/**
 * JSON with object keys sorted, so equal JSON values give equal text whatever their key order. The
 * stored content hashes are of this text: it must never change (canonicalJsonByReplacer is the
 * definition; the direct walk below gives the same text for plain JSON values, ~3 times faster, and
 * hands anything else to the definition).
 */
export function canonicalJson(value: unknown): string {
  try {
    return walk(value);
  } catch (error) {
    if (error === NOT_PLAIN) return canonicalJsonByReplacer(value);
    throw error;
  }
}

/** The definition: JSON.stringify with every object's entries sorted by key. */
export function canonicalJsonByReplacer(value: unknown): string {
  return JSON.stringify(value, (_key, inner: unknown) => {
    if (inner === null || typeof inner !== 'object' || Array.isArray(inner)) return inner;
    return Object.fromEntries(Object.entries(inner).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  });
}

const NOT_PLAIN = Symbol('not plain JSON');
const byKey = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** Plain JSON values only (what JSON.parse makes, undefined members aside); anything else throws NOT_PLAIN. */
function walk(value: unknown): string {
  switch (typeof value) {
    case 'string':
      return JSON.stringify(value);
    case 'number':
      if (!Number.isFinite(value)) throw NOT_PLAIN;
      return JSON.stringify(value);
    case 'boolean':
      return value ? 'true' : 'false';
    case 'object': {
      if (value === null) return 'null';
      if (Array.isArray(value)) {
        let text = '[';
        for (let i = 0; i < value.length; i++) {
          if (i > 0) text += ',';
          const item: unknown = value[i];
          text += item === undefined ? 'null' : walk(item);
        }
        return `${text}]`;
      }
      const prototype = Object.getPrototypeOf(value);
      if (prototype !== Object.prototype && prototype !== null) throw NOT_PLAIN;
      if ('toJSON' in value) throw NOT_PLAIN;
      const record = value as Record<string, unknown>;
      let text = '{';
      let first = true;
      for (const key of sortedKeys(record)) {
        const inner = record[key];
        if (inner === undefined) continue;
        text += `${first ? '' : ','}${JSON.stringify(key)}:${walk(inner)}`;
        first = false;
      }
      return `${text}}`;
    }
    default:
      throw NOT_PLAIN;
  }
}

/**
 * The definition's key order: an object made from sorted entries lists its integer keys first, in
 * numeric order (as Object.keys already does), then the other keys in the order given.
 */
function sortedKeys(record: Record<string, unknown>): string[] {
  const keys = Object.keys(record);
  let indices = 0;
  while (indices < keys.length && isArrayIndex(keys[indices]!)) indices++;
  if (indices === 0) return keys.sort(byKey);
  return [...keys.slice(0, indices), ...keys.slice(indices).sort(byKey)];
}

function isArrayIndex(key: string): boolean {
  return /^(?:0|[1-9]\d*)$/.test(key) && Number(key) < 4_294_967_295;
}

export function sha256Hex(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}
