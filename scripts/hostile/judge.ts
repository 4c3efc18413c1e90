import { XMLParser, XMLValidator } from 'fast-xml-parser';
import type { HostileRequest } from './hostile-requests';
import type { HostileResponse } from './send-request';

/** Why an answer is wrong, or undefined when it is acceptable. */
export function judgeAnswer(r: HostileRequest, a: HostileResponse, phase: 'unsigned' | 'signed'): string | undefined {
  if (a.error) return headOverLimit(r) && /ECONNRESET|EPIPE/.test(a.error) ? undefined : `no answer: ${a.error}`;
  const status = a.status!;
  // /readyz answers 503 when a store is unreachable: that is its documented job, not a failure.
  if (status >= 500 && !(r.route.path === '/readyz' && status === 503)) return `status ${status}`;
  // Twilio only ever POSTs; Express's automatic OPTIONS answer (the Allow list) is not a webhook's.
  if (r.route.kind === 'webhook' && r.method === r.route.method && (status === 200 || (a.contentType ?? '').includes('xml'))) {
    const problem = twimlProblem(a.body ?? '');
    if (problem) return `status ${status} with invalid TwiML: ${problem}`;
  }
  if (phase === 'unsigned' && status < 300 && guarded(r)) return `accepted without credentials (status ${status})`;
  return undefined;
}

/**
 * Node refuses a request head (request line and headers) over its 16 KB limit with a 431 and
 * closes the socket at once; while the client is still writing, TCP turns that into a reset
 * before the 431 can be read. That is Node's refusal, not a dropped request.
 */
export const NODE_HEAD_LIMIT = 16 * 1024;
export function headOverLimit(r: HostileRequest): boolean {
  const head = r.method.length + r.path.length + Object.entries(r.headers).reduce((n, [k, v]) => n + k.length + Buffer.byteLength(v) + 4, 0);
  return head > NODE_HEAD_LIMIT;
}

/** Routes that must refuse a request carrying no valid credential. */
function guarded(r: HostileRequest): boolean {
  if (r.method !== r.route.method) return false;
  if (r.route.kind === 'webhook' || r.route.kind === 'api' || r.route.kind === 'metrics') return true;
  if (r.route.kind === 'signed-link') return r.method !== 'GET' || r.route.path.startsWith('/m/');
  if (r.route.kind === 'console') return r.method === 'POST' && r.route.path !== '/console/sign-in';
  return false;
}

const parser = new XMLParser({ ignoreAttributes: false, preserveOrder: true });

/** TwiML as Twilio reads it: well-formed XML whose one root is <Response>. */
export function twimlProblem(text: string): string | undefined {
  const valid = XMLValidator.validate(text);
  if (valid !== true) return valid.err.msg;
  const roots = (parser.parse(text) as Record<string, unknown>[]).map((n) => Object.keys(n)[0]).filter((k) => k !== '?xml');
  if (roots.length !== 1 || roots[0] !== 'Response') return `root is ${roots.join(', ') || 'nothing'}, not <Response>`;
  return undefined;
}

/**
 * Full phone numbers and secrets in the server's log output. A number counts when it stands on
 * its own (not inside a CallSid's hex), with or without its +, and every seeded number is looked
 * for as written.
 */
export function leaksIn(log: string, seededPhones: string[], secrets: string[]): string[] {
  const found = new Set<string>();
  for (const m of log.matchAll(/(?<![0-9A-Za-z])\+?86\d{9,}/g)) found.add(`phone number ${m[0].slice(0, 5)}… in "${around(log, m.index!)}"`);
  for (const phone of seededPhones) {
    for (const form of [phone, phone.replace(/^\+/, '')]) if (form.length >= 8 && log.includes(form)) found.add(`seeded number ${form.slice(0, 5)}… in "${around(log, log.indexOf(form))}"`);
  }
  for (const secret of secrets) if (secret && log.includes(secret)) found.add(`a secret (${secret.length} characters) in "${around(log, log.indexOf(secret)).replace(secret, '<secret>')}"`);
  return [...found];
}

function around(log: string, at: number): string {
  return log.slice(Math.max(0, at - 60), at + 20).replace(/\s+/g, ' ').replace(/\d{6,}/g, (d) => d.slice(0, 3) + '…');
}
