/**
 * Whether an error means the database could not be reached (refused, dropped, timed out, shutting
 * down or starting up), as opposed to a bug or bad input. Only the first kind may be worked
 * around by putting a caller through from memory and spooling the call (src/spool/); the others
 * must still fail loudly.
 */
const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN']);

/** SQLSTATEs of a server that is going away or not yet there: admin/crash shutdown, cannot connect now. */
const SERVER_GONE = new Set(['57P01', '57P02', '57P03']);

// Not "timeout exceeded when trying to connect": pg-pool says that when a query waited too long for
// a free connection (a busy instance); a connection that cannot be made fails as "timeout
// expired" (see QuickConnectClient in db.ts).
const MESSAGES = [
  // pg's Client, when the server does not complete the connection in CONNECT_TIMEOUT_MS.
  'timeout expired',
  'Connection terminated',
  'Query read timeout',
  'Client has encountered a connection error',
  'Connection closed',
];

/** PostgreSQL's deadlock_detected: the aborted statement did nothing and may be run again. */
export const DEADLOCK = '40P01';
/** PostgreSQL's serialization_failure: likewise. */
export const SERIALIZATION_FAILURE = '40001';

type Cause = { code?: unknown; message?: unknown; cause?: unknown; errors?: unknown };

/** Whether `test` holds for the error, one of its causes, or one of the errors it gathers (several addresses tried). */
function anyCause(err: unknown, test: (code: string, message: string) => boolean): boolean {
  for (let e = err as Cause | undefined, depth = 0; e && depth < 4; e = e.cause as Cause | undefined, depth++) {
    if (test(typeof e.code === 'string' ? e.code : '', typeof e.message === 'string' ? e.message : '')) return true;
    // Several addresses tried (IPv4 and IPv6 for localhost), each refused.
    if (Array.isArray(e.errors) && e.errors.some((x) => anyCause(x, test))) return true;
  }
  return false;
}

export function isDatabaseUnreachable(err: unknown): boolean {
  return anyCause(err, (code, message) => NETWORK_CODES.has(code) || SERVER_GONE.has(code) || code.startsWith('08') || MESSAGES.some((m) => message.includes(m)));
}

/** Errors of a connection that could not be made at all: refused, no such host, timed out, or a server starting up. */
const CONNECT_CODES = new Set(['ECONNREFUSED', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN', '57P03']);

/**
 * Whether no connection to the database could be made just now, so that the next query would
 * most likely fail the same way. A connection lost in the middle of a query (terminated, reset,
 * shut down by an administrator) is unreachable too, but says less: a fresh connection of the
 * pool may work.
 */
export function isConnectFailure(err: unknown): boolean {
  // 'timeout expired' is pg's Client giving up on a connection (CONNECT_TIMEOUT_MS in db.ts).
  return anyCause(err, (code, message) => CONNECT_CODES.has(code) || message.includes('timeout expired'));
}

/** pg-pool's words for a query that waited too long for a free connection of its own pool (a busy instance). */
const POOL_WAIT = 'timeout exceeded when trying to connect';

/**
 * Whether a failed statement may well succeed if run again later, unchanged: the database could
 * not be reached or the connection was lost, the pool was busy, or the statement lost a deadlock
 * or a serialization conflict. The opposite is a refusal of what the statement says (a constraint,
 * a value the column cannot hold): running it again fails the same way.
 */
export function isPassingFailure(err: unknown): boolean {
  return isDatabaseUnreachable(err) || anyCause(err, (code, message) => code === DEADLOCK || code === SERIALIZATION_FAILURE || message.includes(POOL_WAIT));
}
