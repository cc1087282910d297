/**
 * Lists the synchronous data layer that PostgreSQL makes asynchronous (issue 13, docs/postgres.md):
 * every exported function of app/ and db/ that takes a `Db` or reaches the connection itself
 * (getDb, writeTransaction, `$client`), with the number of places that call it, by folder.
 * `npx tsx scripts/db-call-sites.ts [--list]`. Call sites are lines calling it by name (`name(`),
 * outside files that declare another function of that name and outside tests/e2e (browser journeys
 * call no app function): an upper bound where two functions share a name (--list shows each site).
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import ts from 'typescript';

const ROOTS = ['app', 'db', 'cli', 'seed', 'bench', 'server.ts', 'server', 'tests'];
/** Route modules' exports that Remix calls, never the app: counted as entry points, not call sites. */
const ROUTE_EXPORTS = new Set(['loader', 'action', 'headers', 'meta']);

function files(path: string): string[] {
  let stat: ReturnType<typeof statSync>;
  try {
    stat = statSync(path);
  } catch {
    return [];
  }
  if (stat.isFile()) return /\.tsx?$/.test(path) ? [path] : [];
  return readdirSync(path).flatMap((name) => files(join(path, name)));
}

interface DataFunction {
  name: string;
  file: string;
  how: string[];
}

const all = ROOTS.flatMap(files);
const sources = new Map(all.map((file) => [file, readFileSync(file, 'utf8')]));

function isExported(node: ts.Node): boolean {
  return !!ts.getCombinedModifierFlags(node as ts.Declaration) && (ts.getCombinedModifierFlags(node as ts.Declaration) & ts.ModifierFlags.Export) !== 0;
}

function dataFunctions(file: string): DataFunction[] {
  if (!file.startsWith('app/') && !file.startsWith('db/')) return [];
  const source = ts.createSourceFile(file, sources.get(file)!, ts.ScriptTarget.Latest, true);
  const found: DataFunction[] = [];
  const inspect = (name: string, fn: ts.SignatureDeclaration & { body?: ts.Node }) => {
    const how: string[] = [];
    if (fn.parameters.some((p) => p.type && /\bDb\b/.test(p.type.getText(source)))) how.push('db param');
    const body = fn.body?.getText(source) ?? '';
    if (/\bgetDb\(/.test(body)) how.push('getDb()');
    if (/\bwriteTransaction\(/.test(body)) how.push('writeTransaction');
    if (/\$client/.test(body)) how.push('$client');
    if (how.length) found.push({ name, file, how });
  };
  source.forEachChild((node) => {
    if (ts.isFunctionDeclaration(node) && node.name && isExported(node)) inspect(node.name.text, node);
    if (ts.isVariableStatement(node) && isExported(node)) {
      for (const declaration of node.declarationList.declarations) {
        const init = declaration.initializer;
        if (ts.isIdentifier(declaration.name) && init && (ts.isArrowFunction(init) || ts.isFunctionExpression(init)))
          inspect(declaration.name.text, init);
      }
    }
  });
  return found;
}

function folder(file: string): string {
  const parts = file.split('/');
  if (parts[0] === 'app') return parts.length > 2 ? `app/${parts[1]}` : 'app';
  return parts[0]!.replace(/\.ts$/, '');
}

const found = all.flatMap(dataFunctions);
const entryPoints = found.filter((fn) => fn.file.startsWith('app/routes/') && ROUTE_EXPORTS.has(fn.name));
const functions = found.filter((fn) => !entryPoints.includes(fn));
const list = process.argv.includes('--list');
const byFolder = new Map<string, { functions: number; callSites: number; testSites: number }>();
let totalSites = 0;
let totalTestSites = 0;
for (const fn of functions) {
  // Not a method of something else (x.name), but a spread (...name) is a call.
  const pattern = new RegExp(`(^|[^\\w.$]|\\.\\.\\.)${fn.name}\\(`, 'g');
  const sites: string[] = [];
  const declares = new RegExp(`function ${fn.name}\\(`);
  for (const [file, text] of sources) {
    if (file.startsWith('tests/e2e/') || (file !== fn.file && declares.test(text))) continue;
    const lines = text.split('\n');
    lines.forEach((line, i) => {
      if (!pattern.test(line)) return;
      pattern.lastIndex = 0;
      if (/\bfunction\s/.test(line) && file === fn.file) return;
      sites.push(`${file}:${i + 1}`);
    });
  }
  const inTests = sites.filter((site) => site.startsWith('tests/')).length;
  totalSites += sites.length - inTests;
  totalTestSites += inTests;
  const entry = byFolder.get(folder(fn.file)) ?? { functions: 0, callSites: 0, testSites: 0 };
  entry.functions += 1;
  entry.callSites += sites.length - inTests;
  entry.testSites += inTests;
  byFolder.set(folder(fn.file), entry);
  if (list) console.log(`${fn.file} ${fn.name} (${fn.how.join(', ')}): ${sites.length} call sites ${sites.join(' ')}`);
}
console.log('folder | functions | call sites outside tests | call sites in tests');
for (const [name, entry] of [...byFolder].sort())
  console.log(`${name} | ${entry.functions} | ${entry.callSites} | ${entry.testSites}`);
console.log(`total | ${functions.length} | ${totalSites} | ${totalTestSites}`);
const routeFiles = new Set(entryPoints.map((fn) => fn.file));
console.log(`route modules whose ${[...ROUTE_EXPORTS].join('/')} reach the database: ${routeFiles.size} files, ${entryPoints.length} exports`);
