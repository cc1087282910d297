/**
 * How the tests run the CLI: `node --import tsx cli/main.ts …`, the program `npm run cli` (tsx
 * cli/main.ts) runs, without the two launcher processes of `npx tsx` (npm's exec, then tsx's own
 * CLI, which spawns node again): about 2 s less a run on this 2-core machine under test load
 * (`npx tsx cli/main.ts verify` 6.9–7.5 s, `node --import tsx cli/main.ts verify` 4.7–5.4 s).
 */
export const CLI_NODE = 'node';

/** The node arguments that run `cli/main.ts` with `args`. */
export function cliArgs(...args: string[]): string[] {
  return ['--import', 'tsx', 'cli/main.ts', ...args];
}
