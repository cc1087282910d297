import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { BenchRow } from './types';

/**
 * Runs every bench module in this folder (each exports `run(): Promise<BenchRow[]>`) and prints a
 * table. `npm run bench -- ingest metrics` runs only the named ones.
 */
const here = fileURLToPath(new URL('.', import.meta.url));
const only = process.argv.slice(2);
const modules = readdirSync(here)
  .filter((file) => file.endsWith('.ts') && !['run.ts', 'types.ts'].includes(file) && !file.startsWith('_'))
  .map((file) => file.replace(/\.ts$/, ''))
  .filter((name) => only.length === 0 || only.includes(name));

const rows: (BenchRow & { bench: string })[] = [];
for (const name of modules) {
  console.error(`running bench/${name}.ts ...`);
  const bench = (await import(`./${name}.ts`)) as { run?: () => Promise<BenchRow[]> };
  if (!bench.run) continue;
  for (const row of await bench.run()) rows.push({ bench: name, ...row });
}

const fmt = (ms: number) => (ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${ms.toFixed(1)} ms`);
const table = [
  ['bench', 'what', 'samples', 'p50', 'p95', 'note'],
  ...rows.map((row) => [row.bench, row.name, String(row.samples), fmt(row.p50Ms), fmt(row.p95Ms), row.note ?? '']),
];
const widths = table[0]!.map((_, column) => Math.max(...table.map((line) => line[column]!.length)));
for (const [index, line] of table.entries()) {
  console.log(line.map((cell, column) => cell.padEnd(widths[column]!)).join('  '));
  if (index === 0) console.log(widths.map((width) => '-'.repeat(width)).join('  '));
}
