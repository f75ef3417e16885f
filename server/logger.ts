// JSON logs (pino). Redaction keeps secrets out even if someone logs a request by mistake.
import { pino, type DestinationStream } from 'pino';

/** `destination` defaults to stdout; tests pass a stream to read the lines. */
export function createLogger(level: string, destination?: DestinationStream) {
  return pino({
    level,
    redact: {
      paths: [
        'req.headers.authorization',
        'req.headers.cookie',
        'res.headers["set-cookie"]',
        '*.password',
        '*.client_secret',
        '*.code',
        '*.refresh_token',
        '*.access_token',
        '*.id_token',
      ],
      censor: '[redacted]',
    },
  }, destination);
}

export type Logger = ReturnType<typeof createLogger>;
