import { logJobFailure } from './job-log.server';

interface RunningJob {
  timer: NodeJS.Timeout;
  inFlight: () => Promise<unknown> | null;
  release: () => Promise<void>;
}

// On globalThis: the dev server loads the app's modules again on each change, the process stays.
const globalForJobs = globalThis as unknown as { __paylinkPeriodicJobs?: Map<string, RunningJob> };
const jobs = () => (globalForJobs.__paylinkPeriodicJobs ??= new Map<string, RunningJob>());

/**
 * Runs `tick` every `intervalMs`, once per process under `job` (a second start is ignored), one
 * tick at a time: a tick longer than the interval is not joined by another. A failed tick is logged
 * (logJobFailure) and the next runs as usual. `release` gives up the job's lease at stopPeriodicJob.
 */
export function startPeriodicJob(
  job: string,
  intervalMs: number,
  tick: () => Promise<unknown>,
  release: () => Promise<void>,
): void {
  if (jobs().has(job)) return;
  let running: Promise<unknown> | null = null;
  const timer = setInterval(() => {
    if (running) return;
    running = tick()
      .catch((error) => logJobFailure(job, error))
      .finally(() => {
        running = null;
      });
  }, intervalMs);
  timer.unref();
  jobs().set(job, { timer, inFlight: () => running, release });
}

/**
 * At shutdown: no further ticks, the one in flight (if any) waited for, and the lease released so
 * another instance takes over at its next tick rather than when the lease runs out.
 */
export async function stopPeriodicJob(job: string): Promise<void> {
  const current = jobs().get(job);
  if (!current) return;
  clearInterval(current.timer);
  jobs().delete(job);
  try {
    await current.inFlight();
    await current.release();
  } catch (error) {
    console.error(`${job} lease release failed`, error);
  }
}
