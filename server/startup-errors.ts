// Every start-up failure becomes ONE line naming the cause and what to change (a variable or a
// path), never a stack trace. The errors that already say so pass through; the rest are named here.
import { StoreBusyError, DatabaseUnavailableError } from '../adapters/database.ts';
import { SigningKeysUnreadableError } from '../adapters/signing-key-store.ts';
import { ConfigError } from './config.ts';
import { DataDirError } from './data-dir.ts';

const EXPLAINED = [ConfigError, StoreBusyError, DatabaseUnavailableError, SigningKeysUnreadableError, DataDirError];

export function describeStartupError(err: unknown, port?: number): string {
  if (EXPLAINED.some((kind) => err instanceof kind)) return oneLine((err as Error).message);
  const e = err as NodeJS.ErrnoException | undefined;
  if (e?.syscall === 'listen' && e.code === 'EADDRINUSE') return `port ${port} is already in use; set PORT to a free port or stop what listens on it`;
  if (e?.syscall === 'listen' && e.code === 'EACCES') return `not allowed to listen on port ${port}; set PORT to a port above 1023`;
  return `failed to start: ${oneLine(String(e?.message ?? err))}`;
}

function oneLine(text: string): string {
  return text.split('\n')[0].trim();
}
