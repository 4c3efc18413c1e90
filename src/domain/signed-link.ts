import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Links sent to agents' phones by SMS (write up a call, place a callback) carry a token:
 * purpose, subject id, expiry, and an HMAC over them. Nothing is stored; a tampered or
 * expired token is refused, and a token for one purpose never opens another.
 */
export interface LinkClaims {
  purpose: string;
  subject: string;
  agentId: string;
  expiresAt: Date;
}

const b64 = (s: string) => Buffer.from(s).toString('base64url');
const unb64 = (s: string) => Buffer.from(s, 'base64url').toString('utf8');

function mac(secret: string, payload: string): Buffer {
  return createHmac('sha256', secret).update(payload).digest();
}

export function signLink(secret: string, c: LinkClaims): string {
  const payload = b64(JSON.stringify({ p: c.purpose, s: c.subject, a: c.agentId, e: Math.floor(c.expiresAt.getTime() / 1000) }));
  return `${payload}.${mac(secret, payload).toString('base64url')}`;
}

export type LinkCheck = { ok: true; claims: LinkClaims } | { ok: false; reason: 'malformed' | 'bad-signature' | 'expired' | 'wrong-purpose' };

export function verifyLink(secret: string, token: string, purpose: string, now: Date): LinkCheck {
  const [payload, sig, extra] = token.split('.');
  if (!payload || !sig || extra !== undefined) return { ok: false, reason: 'malformed' };
  const expected = mac(secret, payload);
  const given = Buffer.from(sig, 'base64url');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return { ok: false, reason: 'bad-signature' };
  let raw: { p?: unknown; s?: unknown; a?: unknown; e?: unknown };
  try {
    raw = JSON.parse(unb64(payload));
  } catch {
    return { ok: false, reason: 'malformed' };
  }
  if (typeof raw.p !== 'string' || typeof raw.s !== 'string' || typeof raw.a !== 'string' || typeof raw.e !== 'number') return { ok: false, reason: 'malformed' };
  if (raw.p !== purpose) return { ok: false, reason: 'wrong-purpose' };
  if (raw.e * 1000 <= now.getTime()) return { ok: false, reason: 'expired' };
  return { ok: true, claims: { purpose: raw.p, subject: raw.s, agentId: raw.a, expiresAt: new Date(raw.e * 1000) } };
}
