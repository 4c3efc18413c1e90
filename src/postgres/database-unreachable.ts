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

export function isDatabaseUnreachable(err: unknown): boolean {
  for (let e = err as { code?: unknown; message?: unknown; cause?: unknown } | undefined, depth = 0; e && depth < 4; e = e.cause as typeof e, depth++) {
    const code = typeof e.code === 'string' ? e.code : '';
    if (NETWORK_CODES.has(code) || SERVER_GONE.has(code) || code.startsWith('08')) return true;
    const message = typeof e.message === 'string' ? e.message : '';
    if (MESSAGES.some((m) => message.includes(m))) return true;
    // Several addresses tried (IPv4 and IPv6 for localhost), each refused.
    if (Array.isArray((e as { errors?: unknown }).errors) && (e as { errors: unknown[] }).errors.some(isDatabaseUnreachable)) return true;
  }
  return false;
}
