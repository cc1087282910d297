/**
 * Prints how the app's folders import one another: one line per pair of folders, with how many
 * files import across it, and the line count of each folder. `npx tsx scripts/import-graph.ts`.
 * A folder is app/<first folder> (app/read, app/write, ...), app/<file> for the app's root files,
 * or db, seed, cli, bench. Type-only imports count too: they tie the folders' code together.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

const ROOTS = ['app', 'db', 'seed', 'cli', 'bench'];
const SOURCE = /\.(ts|tsx)$/;
const IMPORT = /(?:import|export)\s[^'"]*?from\s*'([^']+)'|import\(\s*'([^']+)'\s*\)|^import\s+'([^']+)'/gm;

function sourceFiles(folder: string): string[] {
  if (!existsSync(folder)) return [];
  return readdirSync(folder).flatMap((name) => {
    const path = join(folder, name);
    if (statSync(path).isDirectory()) return name === 'migrations' ? [] : sourceFiles(path);
    return SOURCE.test(name) ? [path] : [];
  });
}

function resolveImport(from: string, specifier: string): string | null {
  let base: string;
  if (specifier.startsWith('~/')) base = join('app', specifier.slice(2));
  else if (specifier.startsWith('.')) base = relative('.', resolve(dirname(from), specifier));
  else return null;
  for (const candidate of [base, `${base}.ts`, `${base}.tsx`, join(base, 'index.ts')]) {
    if (existsSync(candidate) && statSync(candidate).isFile()) return candidate;
  }
  return null;
}

function folderOf(file: string): string {
  const parts = file.split('/');
  if (parts[0] !== 'app') return parts[0]!;
  return parts.length > 2 ? `app/${parts[1]}` : 'app/(root)';
}

const files = ROOTS.flatMap(sourceFiles);
const edges = new Map<string, Set<string>>();
const lines = new Map<string, number>();
for (const file of files) {
  const text = readFileSync(file, 'utf8');
  const from = folderOf(file);
  lines.set(from, (lines.get(from) ?? 0) + text.split('\n').length);
  for (const match of text.matchAll(IMPORT)) {
    const target = resolveImport(file, (match[1] ?? match[2] ?? match[3])!);
    if (!target) continue;
    const to = folderOf(target);
    if (to === from) continue;
    const key = `${from} -> ${to}`;
    if (!edges.has(key)) edges.set(key, new Set());
    edges.get(key)!.add(file);
  }
}

console.log('folder            lines  files');
for (const [folder, count] of [...lines].sort()) {
  const n = files.filter((file) => folderOf(file) === folder).length;
  console.log(`${folder.padEnd(16)} ${String(count).padStart(6)} ${String(n).padStart(6)}`);
}
console.log('\nimports between folders (files importing)');
const pairs = [...edges].sort(([a], [b]) => a.localeCompare(b));
for (const [key, importers] of pairs) console.log(`${key.padEnd(34)} ${importers.size}`);
const both = pairs.filter(([key]) => {
  const [a, b] = key.split(' -> ');
  return a! < b! && edges.has(`${b} -> ${a}`);
});
console.log(`\nfolder pairs importing each other: ${both.length ? both.map(([key]) => key.replace('->', '<->')).join(', ') : 'none'}`);
