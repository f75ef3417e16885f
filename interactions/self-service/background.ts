// Work that runs after the response (so the response can't reveal what the work found). Each job
// is tracked: tests and shutdown can wait for all of them; failures are logged, never thrown.
import type { ErrorLogger } from '../../accounts/mail-delivery.ts';

export function createBackgroundJobs(logger?: ErrorLogger) {
  const running = new Set<Promise<void>>();
  return {
    run(name: string, job: () => Promise<unknown>) {
      const p: Promise<void> = Promise.resolve()
        .then(job)
        .then(
          () => {},
          (err) => logger?.error({ err, job: name }, 'background job failed'),
        )
        .finally(() => running.delete(p));
      running.add(p);
    },
    /** Resolves when every job started so far (and any they started) has finished. */
    async settled() {
      while (running.size > 0) await Promise.all([...running]);
    },
  };
}

export type BackgroundJobs = ReturnType<typeof createBackgroundJobs>;
