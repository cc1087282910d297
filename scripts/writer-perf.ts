/**
 * Where the ingest writer thread's time goes inside SQLite and the kernel (issue 14), which V8's
 * `--cpu-prof` cannot see (it gives a native call's time to the JavaScript that made it). Runs
 * `npm run bench -- ingest` (built app and bench databases as the bench needs them), waits for its
 * second server (the one holding 1M requests) to be 2.5 s into its batches, and records that
 * server's busiest thread other than the main one (the writer) with Linux `perf` for SECONDS:
 *
 *   npx tsx scripts/writer-perf.ts [seconds=3] [--off-cpu]
 *
 * Prints the share of the thread's samples under each frame (inclusive), the top TOP (default 45)
 * of those under less than 90% of them.
 * `--off-cpu`: records `sched:sched_switch` instead of CPU samples and prints where the thread went
 * off its core other than runnable (fsync's waits, locks). Needs `perf` (Debian's linux-perf) and
 * the right to use it (root here). Leaves tmp/profile/writer.perf.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';

const args = process.argv.slice(2);
const seconds = Number(args.find((arg) => /^\d+(\.\d+)?$/.test(arg)) ?? 3);
const offCpu = args.includes('--off-cpu');
const top = Number(process.env.TOP ?? 45);
const output = 'tmp/profile/writer.perf';
mkdirSync('tmp/profile', { recursive: true });

const servers = () =>
  readdirSync('/proc')
    .filter((entry) => /^\d+$/.test(entry))
    .filter((pid) => {
      try {
        return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').includes('build/server.js');
      } catch {
        return false;
      }
    });
const runTime = (pid: string, tid: string) => Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ')[0]);

const bench: ChildProcess = spawn('npm', ['run', 'bench', '--', 'ingest'], {
  env: { ...process.env, BENCH_SKIP_IMPORT: '1' },
  stdio: ['ignore', 'inherit', 'inherit'],
});
const benchDone = new Promise((resolve) => bench.once('exit', resolve));

let first: string | null = null;
let second: string | null = null;
while (!second) {
  for (const pid of servers()) {
    first ??= pid;
    if (pid !== first) second = pid;
  }
  await sleep(100);
}
await sleep(2_500);
const writer = readdirSync(`/proc/${second}/task`)
  .filter((tid) => tid !== second)
  .sort((a, b) => runTime(second!, b) - runTime(second!, a))[0]!;
console.log(`perf: server ${second}, writer thread ${writer}, ${seconds} s${offCpu ? ', off-CPU' : ''}`);
try {
  execFileSync(
    'perf',
    ['record', ...(offCpu ? ['-e', 'sched:sched_switch'] : ['-F', '2000']), '-g', '-t', writer, '-o', output, '--', 'sleep', String(seconds)],
    { stdio: ['ignore', 'ignore', 'inherit'] },
  );
} catch (error) {
  // No perf, or no right to use it: stop the bench (it stops its servers) rather than leave it running.
  bench.kill('SIGTERM');
  throw error;
}
await benchDone;

// Each sample: a header line (with the switch's prev_state for --off-cpu), then one frame a line, leaf first.
const script = execFileSync('perf', ['script', '-i', output, '-F', 'tid,event,trace,ip,sym'], {
  maxBuffer: 1 << 30,
  encoding: 'utf8',
  stdio: ['ignore', 'pipe', 'ignore'],
});
const samples: string[][] = [];
for (const block of script.split(/\n\s*\n/)) {
  const [header, ...frames] = block.split('\n').filter((line) => line.trim());
  if (!header) continue;
  // Off the core because it was preempted (R) is waiting for a core, not for something.
  if (offCpu && /prev_state=R/.test(header)) continue;
  samples.push(frames.map((line) => line.trim().split(/\s+/).slice(1).join(' ') || '?'));
}
const inclusive = new Map<string, number>();
for (const frames of samples) {
  for (const frame of new Set(frames)) inclusive.set(frame, (inclusive.get(frame) ?? 0) + 1);
}
console.log(
  `${samples.length} samples of the writer thread${offCpu ? ' leaving its core (not preempted)' : ''}; inclusive share (frames under 90% of them: the event loop's own are left out):`,
);
const shown = [...inclusive].filter(([, count]) => count < samples.length * 0.9);
for (const [frame, count] of shown.sort((a, b) => b[1] - a[1]).slice(0, top)) {
  console.log(`${((count / samples.length) * 100).toFixed(1).padStart(6)}%  ${frame.slice(0, 110)}`);
}
