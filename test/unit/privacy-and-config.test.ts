import { Writable } from 'node:stream';
import winston from 'winston';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config';
import { maskPhone, maskPhonesInText, parseEndpoint } from '../../src/domain/endpoint';
import { signLink, verifyLink } from '../../src/domain/signed-link';
import { createLogger } from '../../src/logger';

describe('phone numbers are personal data', () => {
  it('masks all but the country prefix and last four digits', () => {
    expect(maskPhone('+8613812345678')).toBe('+86*******5678');
    expect(maskPhone('sip:13812345678@trunk.example.cn')).toBe('sip:*******5678@trunk.example.cn');
    expect(maskPhone('')).toBe('');
  });

  it('masks numbers inside free text but leaves dates and SIDs alone', () => {
    expect(maskPhonesInText('caller +8613812345678 on 2026-11-23 CA0123456789abcdef')).toBe('caller +86*******5678 on 2026-11-23 CA0123456789abcdef');
  });

  it('never writes a full number or a token to the log', () => {
    const lines: string[] = [];
    const logger = createLogger('info');
    logger.clear().add(new winston.transports.Stream({ stream: new Writable({ write: (c, _e, cb) => (lines.push(String(c)), cb()) }) }));
    logger.info('call from +8613812345678', { from: '+8613812345678', nested: { phone: 'sip:13812345678@t.cn' }, authToken: 'secret-token-value' });
    const out = lines.join('');
    expect(out).not.toContain('13812345678');
    expect(out).not.toContain('secret-token-value');
    expect(out).toContain('+86*******5678');
  });

  it('accepts E.164 numbers and SIP URIs as agent endpoints, nothing else', () => {
    expect(parseEndpoint('+8613812345678')).toEqual({ kind: 'number', value: '+8613812345678' });
    expect(parseEndpoint('sip:agent7@trunk.example.cn;transport=tls')?.kind).toBe('sip');
    expect(parseEndpoint('13812345678')).toBeNull();
    expect(parseEndpoint('sip:no-host')).toBeNull();
  });
});

describe('configuration', () => {
  it('has working defaults for a newcomer', () => {
    const c = loadConfig({});
    expect(c).toMatchObject({ TIME_ZONE: 'Asia/Shanghai', ANSWER_THRESHOLD_SECONDS: 10, PROMPT_LANGUAGE: 'zh-CN', PGLITE_DATA_DIR: './data/pglite' });
    // no DATABASE_URL / REDIS_URL: the embedded database and in-process coordination
    expect(c.DATABASE_URL).toBeUndefined();
    expect(c.REDIS_URL).toBeUndefined();
  });

  it('reports every bad variable at once, by name', () => {
    try {
      loadConfig({ PORT: 'eighty', TIME_ZONE: 'Mars/Olympus', PUBLIC_BASE_URL: 'not a url', FALLBACK_NUMBER: '12345' });
      expect.unreachable();
    } catch (err) {
      const message = (err as Error).message;
      for (const name of ['PORT', 'TIME_ZONE', 'PUBLIC_BASE_URL', 'FALLBACK_NUMBER']) expect(message).toContain(name);
    }
  });

  it('trusts no proxy unless TRUST_PROXY names them: a hop count or addresses, never every hop', () => {
    expect(loadConfig({}).TRUST_PROXY).toBe(false);
    expect(loadConfig({ TRUST_PROXY: '2' }).TRUST_PROXY).toBe(2);
    expect(loadConfig({ TRUST_PROXY: 'loopback, 10.0.0.0/8, fd00::/8' }).TRUST_PROXY).toEqual(['loopback', '10.0.0.0/8', 'fd00::/8']);
    expect(() => loadConfig({ TRUST_PROXY: 'true' })).toThrow(/TRUST_PROXY: true would trust any X-Forwarded-For/);
    expect(() => loadConfig({ TRUST_PROXY: '10.0.0.0/33' })).toThrow(/TRUST_PROXY: invalid range on address: 10.0.0.0\/33/);
    expect(() => loadConfig({ TRUST_PROXY: 'proxy.example' })).toThrow(/TRUST_PROXY: invalid IP address: proxy.example/);
  });

  it('refuses development secrets in production', () => {
    expect(() => loadConfig({ NODE_ENV: 'production' })).toThrow(/TWILIO_AUTH_TOKEN: must be set in production/);
  });
});

describe('signed links', () => {
  const secret = 'link-secret-for-tests-only';
  const now = new Date('2026-11-23T04:00:00Z');
  const token = signLink(secret, { purpose: 'notes', subject: 'call-1', agentId: 'agent-1', expiresAt: new Date('2026-11-24T04:00:00Z') });

  it('opens for its purpose until it expires', () => {
    expect(verifyLink(secret, token, 'notes', now)).toMatchObject({ ok: true, claims: { subject: 'call-1', agentId: 'agent-1' } });
    expect(verifyLink(secret, token, 'notes', new Date('2026-11-24T04:00:00Z'))).toEqual({ ok: false, reason: 'expired' });
  });

  it('refuses a tampered, foreign or wrong-purpose token', () => {
    const [payload, sig] = token.split('.');
    const forged = Buffer.from(JSON.stringify({ p: 'notes', s: 'call-2', a: 'agent-1', e: 4102444800 })).toString('base64url');
    expect(verifyLink(secret, `${forged}.${sig}`, 'notes', now)).toEqual({ ok: false, reason: 'bad-signature' });
    expect(verifyLink('another-secret-entirely', token, 'notes', now)).toEqual({ ok: false, reason: 'bad-signature' });
    expect(verifyLink(secret, token, 'callback', now)).toEqual({ ok: false, reason: 'wrong-purpose' });
    expect(verifyLink(secret, `${payload}`, 'notes', now)).toEqual({ ok: false, reason: 'malformed' });
  });
});
