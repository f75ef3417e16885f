// Bounds how many expensive operations (argon2 hashes) run at once, so a burst of sign-ins
// queues instead of exhausting memory (19 MiB each) and the libuv thread pool.
export type Semaphore = { run<T>(task: () => Promise<T>): Promise<T> };

export function createSemaphore(limit: number): Semaphore {
  let active = 0;
  const waiting: (() => void)[] = [];
  const release = () => {
    active--;
    waiting.shift()?.();
  };
  return {
    async run(task) {
      if (active >= limit) await new Promise<void>((resolve) => waiting.push(resolve));
      active++;
      try {
        return await task();
      } finally {
        release();
      }
    },
  };
}
