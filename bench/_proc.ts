import { readdirSync, readFileSync } from 'node:fs';

// What the benches read of a server process from Linux's /proc: on a shared two-core machine, wall
// time alone misleads, so each bench also says what the server spent. Elsewhere these say nothing.

/** CPU seconds (user + system) a process has used so far, its threads included; null where there is no /proc. */
export function cpuSecondsOf(pid: number | undefined): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100; // utime, stime in clock ticks (USER_HZ 100)
  } catch {
    return null;
  }
}

/** Nanoseconds each live thread of a process has run and waited for a core so far, by thread id (schedstat). */
export function threadTimesOf(pid: number | undefined): Map<string, { run: number; wait: number }> {
  const times = new Map<string, { run: number; wait: number }>();
  let tids: string[];
  try {
    tids = readdirSync(`/proc/${pid}/task`);
  } catch {
    return times; // no /proc, or the process has gone
  }
  for (const tid of tids) {
    try {
      const [run, wait] = readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ').map(Number);
      times.set(tid, { run: run!, wait: wait! });
    } catch {
      // the thread ended meanwhile
    }
  }
  return times;
}

/** A process's resident memory in MB (VmRSS), 0 where it cannot be read. */
export function residentMb(pid: number): number {
  const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return match ? Number(match[1]) / 1024 : 0;
}
