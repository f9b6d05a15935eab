/**
 * Errors that mean "the database cannot be reached right now" rather than "this query is
 * wrong": the server refused or dropped the connection, is shutting down or starting up, or the
 * pool could not get a connection in time. The API answers them with 503 and Retry-After
 * (the client should try again), never 500.
 */
const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EAI_AGAIN',
]);

/**
 * SQLSTATEs (PostgreSQL appendix A): class 08 connection exceptions; 57P01 admin_shutdown,
 * 57P02 crash_shutdown, 57P03 cannot_connect_now (starting up, in recovery); 53300
 * too_many_connections.
 */
const SQLSTATES = new Set(['57P01', '57P02', '57P03', '53300']);

/** node-postgres and pg-pool messages for a connection lost or not obtained (no code set). */
const MESSAGES = [
  /^Connection terminated/,
  /^timeout exceeded when trying to connect/,
  /Client has encountered a connection error and is not queryable/,
  /^Client was closed and is not queryable/,
  /^Connection ended unexpectedly/,
];

export function isDatabaseUnavailable(error: unknown): boolean {
  for (let e = error, depth = 0; e && typeof e === 'object' && depth < 5; depth++) {
    const { code, message } = e as { code?: unknown; message?: unknown };
    if (typeof code === 'string') {
      if (NETWORK_CODES.has(code) || SQLSTATES.has(code) || /^08...$/.test(code)) return true;
    }
    if (typeof message === 'string' && MESSAGES.some((m) => m.test(message))) return true;
    // TypeORM's QueryFailedError keeps the driver's error; Node's errors chain through `cause`.
    // Node's AggregateError (a connect tried on several addresses) lists them in `errors`.
    const next = e as { driverError?: unknown; cause?: unknown; errors?: unknown[] };
    e = next.driverError ?? next.cause ?? next.errors?.[0];
  }
  return false;
}
