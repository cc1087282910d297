import { spawn } from 'node:child_process';
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

/**
 * Runs a TypeScript file of tests/support in a node process of its own until it exits by itself
 * (the test's timeout ends a wait for one that never does): its exit code and what it printed.
 */
export async function runToExit(script: string, ...args: string[]): Promise<{ code: number | null; out: string }> {
  const child = spawn(CLI_NODE, ['--import', 'tsx', script, ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
  try {
    let out = '';
    child.stdout.on('data', (chunk) => {
      out += chunk;
    });
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    return { code, out };
  } finally {
    child.kill('SIGKILL');
  }
}
