// A server child for the quick one-figure tools (cc-cpu.ts, cc-tail.ts, login-cost.ts): forked with
// npm start's node flags and environment, ready once it sends its URL, commanded over IPC ({ id, cmd } → { id, result }).
// bench/run.ts has its own, fuller orchestration (stderr capture, exit handling, shared schemas).
import { fork, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { BUILD_DIR, compiled } from '../scripts/build.ts';
import { START_ENV, START_NODE_FLAGS } from './start-command.ts';

export type QuickChild = { proc: ChildProcess; url: string; pid: number; call<T = unknown>(cmd: string, args?: object): Promise<T> };

/** One set of secrets per tool run, as the servers of one deployment share them. */
export const benchSecrets = { KEK: randomBytes(32).toString('base64'), COOKIE_KEYS: randomBytes(32).toString('base64url') };

export async function startQuickChild(file: string, env: Record<string, string>, flags = START_NODE_FLAGS.join(' ')): Promise<QuickChild> {
  // The compiled child (build/bench/…js), as `npm start` runs the compiled server. BENCH_BUILD=<dir> in
  // its environment runs a saved copy of build/ instead (inside the checkout, so node_modules resolve):
  // an old and a new build of the server compared in one run (`cp -r build build-base`).
  const main = compiled(new URL(file, import.meta.url));
  const proc = fork(env.BENCH_BUILD ? path.join(path.resolve(env.BENCH_BUILD), path.relative(BUILD_DIR, main)) : main, [], {
    env: { ...START_ENV, ...process.env, ...benchSecrets, ...env },
    // BENCH_CHILD_FLAGS adds node flags for a look inside (e.g. --trace-gc, whose lines go to stdout).
    execArgv: `${flags} ${process.env.BENCH_CHILD_FLAGS ?? ''}`.split(' ').filter(Boolean),
    stdio: ['ignore', process.env.BENCH_CHILD_FLAGS ? 'inherit' : 'ignore', 'inherit', 'ipc'],
  });
  type Message = { type?: string; id?: number; url?: string; result?: unknown };
  const pending = new Map<number, (m: Message) => void>();
  let nextId = 0;
  const ready = await new Promise<Message>((resolve, reject) => {
    proc.once('exit', (code) => reject(new Error(`${file} exited (${code}) before it was ready`)));
    proc.on('message', (m: Message) => (m.type === 'ready' ? resolve(m) : pending.get(m.id!)?.(m)));
  });
  return {
    proc,
    url: ready.url!,
    pid: proc.pid!,
    call: <T>(cmd: string, args: object = {}) =>
      new Promise<T>((resolve) => {
        const id = ++nextId;
        pending.set(id, (m) => resolve(m.result as T));
        proc.send({ id, cmd, ...args });
      }),
  };
}
