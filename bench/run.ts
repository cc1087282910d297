import { readdirSync } from 'node:fs';
import { loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { TARGETS } from './targets';
import { type BenchOptions, type BenchResult, type BenchRow, TARGET_IDS, type TargetResult } from './types';

/**
 * Runs every bench module in this folder (each exports `run(options): Promise<BenchResult>`), prints
 * the measurements, then every row of issue 14's targets table with whether it holds.
 *   npm run bench                      all benches at their scale (1M requests; seeds BENCH_DB once)
 *   npm run bench -- --quick           about 10,000 requests, a few minutes (CI)
 *   npm run bench -- --full            also the 10M-request figures (BENCH_DB_10M)
 *   npm run bench -- ingest xlsx       only the named benches
 *   npm run bench -- --engine postgres SQLite and PostgreSQL side by side (bench/engines.ts; BENCH_PG_URL)
 */
const here = fileURLToPath(new URL('.', import.meta.url));
const USAGE = 'Usage: npm run bench -- [--quick] [--full] [--engine postgres] [bench ...]';
const raw = process.argv.slice(2);
// `--engine postgres` (or --engine=postgres): the engines bench alone, unless benches are named.
const engineAt = raw.indexOf('--engine');
const engine = engineAt >= 0 ? raw[engineAt + 1] : raw.find((arg) => arg.startsWith('--engine='))?.slice(9);
if (engine !== undefined && engine !== 'postgres') {
  console.error(`--engine takes postgres (SQLite always runs beside it). ${USAGE}`);
  process.exit(2);
}
const args = raw.filter(
  (arg, index) => !(engineAt >= 0 && (index === engineAt || index === engineAt + 1)) && !arg.startsWith('--engine='),
);
const options: BenchOptions = {
  quick: args.includes('--quick'),
  full: args.includes('--full'),
  engines: engine === 'postgres',
};
const unknown = args.filter((arg) => arg.startsWith('--') && !['--quick', '--full'].includes(arg));
if (unknown.length > 0) {
  console.error(`Unknown option ${unknown.join(' ')}. ${USAGE}`);
  process.exit(2);
}
const named = args.filter((arg) => !arg.startsWith('--'));
const only = named.length === 0 && options.engines ? ['engines'] : named;
const modules = readdirSync(here)
  .filter(
    (file) => file.endsWith('.ts') && !['run.ts', 'types.ts', 'targets.ts'].includes(file) && !file.startsWith('_'),
  )
  .map((file) => file.replace(/\.ts$/, ''))
  .filter((name) => only.length === 0 || only.includes(name));

const load = () =>
  loadavg()
    .map((value) => value.toFixed(2))
    .join(' ');
const rows: (BenchRow & { bench: string })[] = [];
const targets = new Map<string, TargetResult>();
const failures = new Map<string, string>();
for (const name of modules) {
  console.error(`running bench/${name}.ts (load average ${load()}) ...`);
  const bench = (await import(`./${name}.ts`)) as { run?: (options: BenchOptions) => Promise<BenchResult> };
  if (!bench.run) continue;
  try {
    const result = await bench.run(options);
    for (const row of result.rows) rows.push({ bench: name, ...row });
    for (const target of result.targets ?? []) targets.set(target.id, target);
  } catch (error) {
    console.error(`bench/${name}.ts failed:`, error);
    failures.set(name, error instanceof Error ? error.message.split('\n')[0]! : String(error));
  }
}

function printTable(table: string[][]): void {
  const widths = table[0]!.map((_, column) => Math.max(...table.map((line) => line[column]!.length)));
  for (const [index, line] of table.entries()) {
    console.log(
      line
        .map((cell, column) => cell.padEnd(widths[column]!))
        .join('  ')
        .trimEnd(),
    );
    if (index === 0) console.log(widths.map((width) => '-'.repeat(width)).join('  '));
  }
}

const fmt = (ms: number) => (ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${ms.toFixed(1)} ms`);
console.log(
  `\nMeasurements (${options.quick ? 'quick: ~10k requests' : 'full scale'}; load average at the end ${load()})\n`,
);
printTable([
  ['bench', 'what', 'samples', 'p50', 'p95', 'note'],
  ...rows.map((row) => [row.bench, row.name, String(row.samples), fmt(row.p50Ms), fmt(row.p95Ms), row.note ?? '']),
]);

const notRun = (id: (typeof TARGET_IDS)[number]): TargetResult => {
  const { bench } = TARGETS[id];
  const why = !modules.includes(bench)
    ? `bench/${bench}.ts not selected`
    : failures.has(bench)
      ? `bench/${bench}.ts failed: ${failures.get(bench)}`
      : `bench/${bench}.ts did not report it`;
  return { id, measured: '-', verdict: 'NOT RUN', why };
};
if (modules.some((name) => name !== 'engines')) {
  console.log('\nTargets (issue 14)\n');
  printTable([
    ['figure', 'target', 'measured', 'verdict'],
    ...TARGET_IDS.map((id) => {
      const result = targets.get(id) ?? notRun(id);
      const verdict = result.why ? `${result.verdict} (${result.why})` : result.verdict;
      return [TARGETS[id].figure, TARGETS[id].target, result.measured, verdict];
    }),
  ]);
}
if (failures.size > 0) process.exitCode = 1;
