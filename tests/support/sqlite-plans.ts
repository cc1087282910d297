import type Database from 'better-sqlite3';
import type { Db } from '../../db/client';

/** The EXPLAIN QUERY PLAN (steps joined by ' / ') of each statement matching `pattern` that `run` reads with. */
export async function plansOf(db: Db, pattern: RegExp, run: () => Promise<unknown>): Promise<string[]> {
  const plans: string[] = [];
  const client = db.$client;
  const prepare = client.prepare;
  client.prepare = ((text: string) => {
    const original = prepare.call(client, text) as Database.Statement<unknown[]>;
    if (!pattern.test(text)) return original;
    const explain = prepare.call(client, `EXPLAIN QUERY PLAN ${text}`) as Database.Statement<unknown[]>;
    const watched: Database.Statement<unknown[]> = new Proxy(original, {
      get(target, key) {
        const value = Reflect.get(target, key) as unknown;
        if (typeof value !== 'function') return value;
        return (...args: unknown[]) => {
          if (key === 'all') {
            plans.push((explain.all(...args) as { detail: string }[]).map((step) => step.detail).join(' / '));
          }
          const result = (value as (...a: unknown[]) => unknown).apply(target, args);
          return result === target ? watched : result;
        };
      },
    });
    return watched;
  }) as typeof client.prepare;
  try {
    await run();
  } finally {
    client.prepare = prepare;
  }
  return plans;
}
