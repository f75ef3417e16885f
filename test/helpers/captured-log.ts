// A real pino logger whose JSON lines a test can read (what an operator's log collector would get).
import { Writable } from 'node:stream';
import { pino } from 'pino';
import type { Logger } from '../../server/logger.ts';

export type CapturedLog = { logger: Logger; lines: Record<string, unknown>[]; text(): string };

export function captureLog(level = 'info'): CapturedLog {
  const lines: Record<string, unknown>[] = [];
  const raw: string[] = [];
  const sink = new Writable({
    write(chunk, _enc, done) {
      for (const line of String(chunk).split('\n').filter(Boolean)) {
        raw.push(line);
        lines.push(JSON.parse(line));
      }
      done();
    },
  });
  return { logger: pino({ level }, sink) as unknown as Logger, lines, text: () => raw.join('\n') };
}
