// The running server's local control channel: a unix socket in DATA_DIR (mode 0600, in a 0700
// directory) over which the `gatehouse` CLI hands its command line to the server, which runs it with
// its own open store and answers with the output and exit code. That is how the CLI works while a
// server holds the embedded store (PGlite is one process's database): the store is never opened
// twice, and no "stop the server first". Only processes of the same user on this machine can connect.
// Protocol: one JSON line each way — {argv} then {exitCode, stdout, stderr}.
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';

export const CONTROL_SOCKET = 'control.sock';
/** A command line longer than this is refused (a CLI invocation is a few hundred bytes). */
const MAX_REQUEST_BYTES = 64 * 1024;

export type ControlResult = { exitCode: number; stdout: string; stderr: string };
export type ControlExecutor = (argv: string[]) => Promise<ControlResult>;

export const controlSocketPath = (dataDir: string) => path.join(path.resolve(dataDir), CONTROL_SOCKET);

/** Listens on DATA_DIR/control.sock; returns `close()`. A stale socket of a crashed server is replaced. */
export async function startControlChannel(options: { dataDir: string; execute: ControlExecutor; onError?: (err: Error) => void }) {
  const socketPath = controlSocketPath(options.dataDir);
  if (fs.existsSync(socketPath)) {
    if (await answers(socketPath)) throw new Error(`another Gatehouse server listens on ${socketPath}`);
    fs.rmSync(socketPath, { force: true });
  }
  // One command at a time: the CLI is an operator tool, and serialising keeps its writes ordered.
  let queue: Promise<unknown> = Promise.resolve();
  const server = net.createServer((socket) => {
    let buffer = '';
    socket.setEncoding('utf8');
    socket.on('error', () => {});
    socket.on('data', (chunk: string) => {
      buffer += chunk;
      if (buffer.length > MAX_REQUEST_BYTES) return socket.destroy();
      const end = buffer.indexOf('\n');
      if (end === -1) return;
      const line = buffer.slice(0, end);
      socket.removeAllListeners('data');
      let argv: unknown;
      try {
        argv = (JSON.parse(line) as { argv?: unknown }).argv;
      } catch {
        argv = undefined;
      }
      if (!Array.isArray(argv) || !argv.every((a) => typeof a === 'string')) {
        socket.end(`${JSON.stringify({ exitCode: 2, stdout: '', stderr: 'gatehouse: malformed control request\n' })}\n`);
        return;
      }
      const run = queue.then(() => options.execute(argv as string[]));
      queue = run.catch(() => {});
      run.then(
        (result) => socket.end(`${JSON.stringify(result)}\n`),
        (err: Error) => {
          options.onError?.(err);
          socket.end(`${JSON.stringify({ exitCode: 1, stdout: '', stderr: `gatehouse: ${err.message}\n` })}\n`);
        },
      );
    });
  });
  const previous = process.umask(0o177); // the socket is created 0600, never briefly wider
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(socketPath, () => resolve());
    });
  } finally {
    process.umask(previous);
  }
  fs.chmodSync(socketPath, 0o600);
  return {
    path: socketPath,
    async close() {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      fs.rmSync(socketPath, { force: true });
    },
  };
}

/** Runs a command line in the server listening in DATA_DIR; undefined when no server answers there. */
export async function sendControlCommand(dataDir: string, argv: string[]): Promise<ControlResult | undefined> {
  const socketPath = controlSocketPath(dataDir);
  if (!fs.existsSync(socketPath)) return undefined;
  return new Promise((resolve, reject) => {
    const socket = net.connect(socketPath);
    let connected = false;
    let answer = '';
    socket.setEncoding('utf8');
    socket.on('connect', () => {
      connected = true;
      socket.write(`${JSON.stringify({ argv })}\n`);
    });
    socket.on('data', (chunk: string) => {
      answer += chunk;
    });
    socket.on('end', () => {
      try {
        resolve(JSON.parse(answer) as ControlResult);
      } catch {
        reject(new Error('the running server gave no answer on its control channel'));
      }
    });
    socket.on('error', (err: NodeJS.ErrnoException) => {
      // A socket file with nobody listening is a crashed server's: open the store directly.
      if (!connected && (err.code === 'ECONNREFUSED' || err.code === 'ENOENT')) resolve(undefined);
      else reject(err);
    });
  });
}

function answers(socketPath: string): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(socketPath);
    socket.on('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.on('error', () => resolve(false));
  });
}
