// Gatehouse as an operator runs it: `node server/main.ts` or `npm start` in a child process with
// only the environment given, its output collected line by line.
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { CONFIG_VARIABLES } from '../../server/config.ts';
import { uniqueName } from './gatehouse-server.ts';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

export type ChildServer = {
  child: ChildProcess;
  /** Every line printed so far, stdout and stderr interleaved as they arrived. */
  lines: string[];
  /** Resolves with the first line (already printed or to come) that matches, or rejects after `timeoutMs`. */
  waitForLine(match: (line: string) => boolean, timeoutMs?: number): Promise<string>;
  /** Resolves with the exit code (or signal name) or rejects after `timeoutMs`, killing the child. */
  exited(timeoutMs?: number): Promise<number | string>;
  /**
   * For after hooks: SIGTERM, then SIGKILL if it is still running after `graceMs`. Never SIGKILL
   * first: npm would die and leave the node it exec'd (and its workers) running without a parent.
   */
  stop(graceMs?: number): Promise<void>;
};

/** The test process's environment without any Gatehouse variable, plus `env`. */
export function cleanEnv(env: Record<string, string>): NodeJS.ProcessEnv {
  const base: NodeJS.ProcessEnv = { ...process.env };
  for (const name of CONFIG_VARIABLES) delete base[name];
  return { ...base, ...env };
}

/** `command` is ['node'] for `node server/main.ts` (Node 24 from node_modules), or ['npm', 'start']. */
export function startChild(command: 'node' | 'npm', env: Record<string, string>): ChildServer {
  const child =
    command === 'node'
      ? spawn(process.execPath, ['server/main.ts'], { cwd: ROOT, env: cleanEnv(env), stdio: ['ignore', 'pipe', 'pipe'] })
      : spawn('npm', ['start', '--silent'], { cwd: ROOT, env: cleanEnv(env), stdio: ['ignore', 'pipe', 'pipe'] });
  const lines: string[] = [];
  const waiters = new Set<() => void>();
  for (const stream of [child.stdout!, child.stderr!]) {
    let buffered = '';
    stream.setEncoding('utf8');
    stream.on('data', (chunk: string) => {
      buffered += chunk;
      const parts = buffered.split('\n');
      buffered = parts.pop()!;
      lines.push(...parts.filter((l) => l.trim() !== ''));
      for (const wake of waiters) wake();
    });
  }
  const exit = new Promise<number | string>((resolve) => child.once('exit', (code, signal) => resolve(code ?? signal ?? 'unknown')));
  return {
    child,
    lines,
    waitForLine(match, timeoutMs = 30_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const found = lines.find(match);
          if (found === undefined) return false;
          cleanup();
          resolve(found);
          return true;
        };
        const timer = setTimeout(() => {
          cleanup();
          reject(new Error(`no such line within ${timeoutMs} ms; output:\n${lines.join('\n')}`));
        }, timeoutMs);
        const onExit = () => setImmediate(() => check() || (cleanup(), reject(new Error(`exited without such a line; output:\n${lines.join('\n')}`))));
        const cleanup = () => {
          clearTimeout(timer);
          waiters.delete(check);
          child.off('exit', onExit);
        };
        if (check()) return;
        waiters.add(check);
        child.once('exit', onExit);
      });
    },
    async stop(graceMs = 20_000) {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      await exit;
      clearTimeout(timer);
    },
    async exited(timeoutMs = 30_000) {
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => {
          child.kill('SIGKILL');
          reject(new Error(`still running after ${timeoutMs} ms; output:\n${lines.join('\n')}`));
        }, timeoutMs);
      });
      try {
        return await Promise.race([exit, timeout]);
      } finally {
        clearTimeout(timer);
      }
    },
  };
}

/** Parsed JSON log lines (pino) of a child, skipping npm's banner and other text. */
export function jsonLines(lines: string[]): Record<string, any>[] {
  return lines.flatMap((line) => {
    try {
      const parsed = JSON.parse(line);
      return parsed && typeof parsed === 'object' ? [parsed] : [];
    } catch {
      return [];
    }
  });
}

/** A DATABASE_URL whose connections use a fresh schema of their own (created here). */
export async function databaseUrlWithOwnSchema(databaseUrl: string, knex: { raw(sql: string, bindings: string[]): Promise<unknown> }) {
  const schema = uniqueName('gh_child_');
  await knex.raw('create schema ??', [schema]);
  const url = new URL(databaseUrl);
  url.searchParams.set('options', `-c search_path=${schema}`);
  return { url: url.href, schema };
}
