// What a failed store call means, for the one place that turns errors into answers (server/error-handler.ts).
// Only adapters/ knows the shapes of PostgreSQL, PGlite, knex and ioredis errors.

type Coded = Error & { code?: string; name: string; cause?: unknown };

/**
 * SQLSTATE class 22 ("data exception": invalid text representation such as a non-UUID id, a NUL
 * byte, a value too long, a number out of range, a bad date) means the value came in wrong: the
 * request's fault, a 400, never a 500.
 */
export function isRejectedValue(err: unknown): boolean {
  const code = (err as Coded | undefined)?.code;
  return typeof code === 'string' && /^22[0-9A-Z]{3}$/.test(code);
}

const UNAVAILABLE_CODES = new Set([
  'ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENOTFOUND',
  '57014', // query_canceled: statement_timeout fired
  '57P01', '57P02', '57P03', // admin_shutdown, crash_shutdown, cannot_connect_now
  '08000', '08001', '08003', '08006', // connection exceptions
  '53300', // too_many_connections
]);

/** The database or Redis is down, unreachable or too slow (a timeout fired): a 503, try again later. */
export function isStoreUnavailable(err: unknown): boolean {
  for (let e = err as Coded | undefined, depth = 0; e && depth < 4; e = e.cause as Coded | undefined, depth++) {
    if (typeof e !== 'object') return false;
    if (e.code && UNAVAILABLE_CODES.has(e.code)) return true;
    // knex: pool acquire timeout. ioredis: no connection with the offline queue off, retries exhausted, command timeout.
    if (e.name === 'KnexTimeoutError' || e.name === 'MaxRetriesPerRequestError') return true;
    if (/Connection is closed|enableOfflineQueue|Command timed out|Connection terminated|Query read timeout|timeout exceeded when trying to connect|Reached the max retries/i.test(e.message ?? '')) return true;
  }
  return false;
}
