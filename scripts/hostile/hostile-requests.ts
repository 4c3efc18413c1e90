import { createRequire } from 'node:module';
import fc from 'fast-check';
import twilio from 'twilio';
import { signLink } from '../../src/domain/signed-link';
import { anyJson, anyText, FIELD_NAMES, oddText, QUERY_NAMES, type KnownRecords } from './hostile-values';
import type { RouteEntry } from './route-list';

// The same parser the server's form body goes through, so a "signed" request is signed over what the server reads.
const qs = createRequire(__filename)('qs') as { parse(s: string, o: object): Record<string, unknown> };

/** What a run knows: where the server is, its secrets (to sign correctly), and its records. */
export interface HostileTarget {
  publicBaseUrl: string;
  twilioAuthToken: string;
  adminToken: string;
  metricsToken: string;
  linkSecret: string;
  known: KnownRecords;
  /** A signed-in console session: its cookie header and the CSRF token of its forms. */
  consoleSession?: { cookie: string; csrf: string };
  /** Valid link tokens per purpose (`call-notes`, `callback-dial`): subject and agent as the server texts them. */
  links: { purpose: string; subject: string; agentId: string }[];
}

export interface HostileRequest {
  route: RouteEntry;
  method: string;
  /** Path and query, exactly as sent. */
  path: string;
  headers: Record<string, string>;
  body?: Buffer;
  /** Carries a valid credential for its route (Twilio signature, admin token, session, link). */
  credentialed: boolean;
  /** How it was made, for the report: body shape and credential. */
  shape: string;
}

type BodyShape = 'none' | 'form' | 'form-raw' | 'json' | 'json-raw' | 'oversized' | 'mismatched';

const FORM = 'application/x-www-form-urlencoded';
const ODD_CONTENT_TYPES = ['text/plain', 'multipart/form-data; boundary=x', 'application/xml', `${FORM}; charset=utf-16`, 'application/json; charset=latin1', 'a/b/c', '', `${FORM}; charset=koi8-r`, 'application/json; charset=utf-32'];
const BAD_RAW = ['%', '%G1', '%E0%A4%A', '%00', '%C0%AF', '%ED%A0%80', '&&&', '==', '=x', 'a[b]=c', 'a[]=1&a[]=2', '+++', '%2B86138%2000000000'];
const BAD_BYTES = [Buffer.from([0xff, 0xfe]), Buffer.from([0xc3]), Buffer.from([0x00]), Buffer.from([0xe2, 0x82]), Buffer.from([0xf4, 0x90, 0x80, 0x80]), Buffer.from([0xed, 0xa0, 0x80])];
/** Headers the app reads besides credentials: where a form came from, the proxy's client address, the language cookie. */
const ODD_HEADERS: [string, string][] = [
  ['referer', 'http://['],
  ['referer', '%%%'],
  ['referer', 'javascript:alert(1)'],
  ['referer', '/console/calls?x=%E0%A4%A'],
  ['x-forwarded-for', 'not-an-address'],
  ['x-forwarded-for', '1.1.1.1, ::ffff:zz, , 999.1.1.1'],
  ['x-forwarded-for', 'a'.repeat(2000)],
  ['x-forwarded-proto', 'gopher'],
  ['host', 'evil.example.test'],
  ['cookie', 'lang=%E0%A4%A; threering_sign_in=%'],
  ['cookie', 'lang=xx-XX'],
  ['accept-language', '*;q=2,,,zh-CN;q=abc'],
  ['accept', 'text/event-stream'],
  ['last-event-id', '-1'],
];
const RAW_JSON = ['{', '{"a":}', '[1,2', '"text"', 'null', '1e999999', 'true', '{"__proto__":{"polluted":1}}', '{"constructor":{"prototype":{"x":1}}}', '['.repeat(3000), '{"a":"\\ud800"}', '\u0000', '{"a":1,"a":[2]}', ''];

/** Percent-encodes the UTF-8 bytes of any string, lone surrogates included (encodeURIComponent throws on those). */
const enc = (s: string) => [...Buffer.from(s, 'utf8')].map((b) => (/[A-Za-z0-9\-_.~]/.test(String.fromCharCode(b)) ? String.fromCharCode(b) : `%${b.toString(16).toUpperCase().padStart(2, '0')}`)).join('');
/** A value once in `oneIn` draws, null otherwise. */
const rarely = <T>(a: fc.Arbitrary<T>, oneIn: number): fc.Arbitrary<T | null> => fc.oneof({ weight: oneIn - 1, arbitrary: fc.constant(null) }, { weight: 1, arbitrary: a });
const formOf = (pairs: [string, string][]) => pairs.map(([k, v]) => `${enc(k)}=${enc(v)}`).join('&');

/** Fields a route would expect, so that a fair share of requests passes the first checks. */
function expectedFields(route: RouteEntry, k: KnownRecords): fc.Arbitrary<[string, string][]> {
  if (route.kind !== 'webhook') return fc.constant([]);
  const sid = k.callSids.length ? fc.constantFrom(...k.callSids) : fc.constant('CA' + '0'.repeat(32));
  const from = k.phones.length ? fc.constantFrom(...k.phones) : fc.constant('+8613800000000');
  return fc.tuple(sid, from).map(([CallSid, From]) => [['CallSid', CallSid], ['From', From], ['To', k.hotline], ['AccountSid', 'AC' + '0'.repeat(32)]]);
}

function pathWithParams(route: RouteEntry, target: HostileTarget, credentialed: boolean): fc.Arbitrary<string> {
  const names = [...route.path.matchAll(/:(\w+)/g)].map((m) => m[1]!);
  if (names.length === 0) return fc.constant(route.path);
  const k = target.known;
  const segment = (name: string): fc.Arbitrary<string> => {
    if (name === 'token') return linkToken(target, credentialed);
    const known = name === 'phone' ? k.phones.map(enc) : [...k.agentIds, ...k.callIds, ...k.callbackIds, ...k.otherIds];
    return fc.oneof(
      { weight: known.length ? 3 : 0, arbitrary: known.length ? fc.constantFrom(...known) : fc.constant('x') },
      { weight: 1, arbitrary: fc.uuid() },
      { weight: 2, arbitrary: oddText.map((s) => enc(s) || '%20') },
      { weight: 1, arbitrary: fc.constantFrom('%', '%zz', '%00', '..', '%2e%2e', 'a%2Fb', '%ED%A0%80', '%FF', '9'.repeat(400), '-1', '0') },
    );
  };
  return fc.tuple(...names.map(segment)).map((values) => {
    let i = 0;
    return route.path.replace(/:(\w+)/g, () => values[i++]!);
  });
}

/** A link token: valid ones only when credentialed; otherwise forged, expired, tampered or for another purpose. */
function linkToken(t: HostileTarget, credentialed: boolean): fc.Arbitrary<string> {
  const future = new Date(Date.now() + 3600_000);
  const valid = t.links.map((l) => signLink(t.linkSecret, { ...l, expiresAt: future }));
  const forged = t.links.flatMap((l) => [
    signLink('not-the-link-secret-0123', { ...l, expiresAt: future }),
    signLink(t.linkSecret, { ...l, expiresAt: new Date(Date.now() - 1000) }),
    signLink(t.linkSecret, { ...l, purpose: l.purpose === 'call-notes' ? 'callback-dial' : 'call-notes', expiresAt: future }),
  ]);
  const tampered = valid.map((v) => v.slice(0, 5) + (v[5] === 'A' ? 'B' : 'A') + v.slice(6));
  const bad = fc.oneof(fc.constantFrom('', '.', 'a.b', 'a.b.c', ...forged, ...tampered), oddText.map(enc));
  if (!credentialed || valid.length === 0) return bad;
  return fc.oneof({ weight: 4, arbitrary: fc.constantFrom(...valid) }, { weight: 1, arbitrary: bad });
}

function query(route: RouteEntry, target: HostileTarget, credentialed: boolean): fc.Arbitrary<string> {
  const k = target.known;
  // Long values belong in bodies: a query past Node's 16 KB head limit only meets Node's 431.
  const pair = fc.tuple(fc.oneof({ weight: 4, arbitrary: fc.constantFrom(...QUERY_NAMES) }, { weight: 1, arbitrary: fc.string({ maxLength: 8 }) }), anyText(k).map((v) => v.slice(0, 600)));
  const tokenPair = route.kind === 'signed-link' ? linkToken(target, credentialed).map((v) => `token=${v}`) : fc.constant('');
  return fc
    .tuple(fc.array(pair, { maxLength: 4 }), rarely(fc.constantFrom(...BAD_RAW), 6), tokenPair)
    .map(([pairs, raw, token]) => [formOf(pairs), raw ?? '', token].filter(Boolean).join('&'))
    .map((q) => (q ? `?${q}` : ''));
}

function body(route: RouteEntry, k: KnownRecords): fc.Arbitrary<{ shape: BodyShape; contentType?: string; bytes?: Buffer; extra?: Record<string, string> }> {
  const pairs = fc
    .tuple(expectedFields(route, k), fc.array(fc.tuple(fc.oneof({ weight: 5, arbitrary: fc.constantFrom(...FIELD_NAMES) }, { weight: 1, arbitrary: fc.string({ maxLength: 10 }) }), anyText(k)), { maxLength: 8 }), fc.boolean())
    .map(([base, more, keepBase]) => [...(keepBase ? base : base.slice(1)), ...more] as [string, string][]);
  const json = fc.dictionary(fc.constantFrom(...FIELD_NAMES), anyJson(k), { maxKeys: 8 });
  const typeFor = (shape: BodyShape) => (shape.startsWith('json') ? 'application/json' : FORM);
  return fc.oneof(
    { weight: 2, arbitrary: fc.constant({ shape: 'none' as const }) },
    { weight: 6, arbitrary: pairs.map((p) => ({ shape: 'form' as const, contentType: FORM, bytes: Buffer.from(formOf(p)) })) },
    {
      weight: 3,
      arbitrary: fc.tuple(pairs, fc.array(fc.oneof(fc.constantFrom(...BAD_RAW).map((s) => Buffer.from(s)), fc.constantFrom(...BAD_BYTES)), { minLength: 1, maxLength: 4 })).map(([p, bits]) => ({
        shape: 'form-raw' as const,
        contentType: FORM,
        bytes: Buffer.concat([Buffer.from(formOf(p) + '&'), ...bits.flatMap((b) => [Buffer.from('&Body='), b])]),
      })),
    },
    { weight: 3, arbitrary: json.map((o) => ({ shape: 'json' as const, contentType: 'application/json', bytes: Buffer.from(JSON.stringify(o)) })) },
    { weight: 2, arbitrary: fc.constantFrom(...RAW_JSON).map((s) => ({ shape: 'json-raw' as const, contentType: 'application/json', bytes: Buffer.from(s) })) },
    {
      weight: 1,
      arbitrary: fc.tuple(fc.constantFrom<BodyShape>('form', 'json'), fc.integer({ min: 60_000, max: 400_000 })).map(([kind, size]) => ({
        shape: 'oversized' as const,
        contentType: typeFor(kind),
        bytes: Buffer.from(kind === 'json' ? JSON.stringify({ summary: 'x'.repeat(size) }) : `CallSid=CA${'0'.repeat(32)}&Body=${'x'.repeat(size)}`),
      })),
    },
    {
      weight: 2,
      arbitrary: fc.tuple(pairs, json, fc.constantFrom(...ODD_CONTENT_TYPES, FORM, 'application/json'), fc.boolean(), fc.constantFrom('', 'gzip', 'deflate', 'br', 'zzz')).map(([p, o, type, asJson, encoding]) => ({
        shape: 'mismatched' as const,
        contentType: type,
        // JSON sent as a form and a form sent as JSON, under any content type and encoding.
        bytes: Buffer.from(asJson ? JSON.stringify(o) : formOf(p)),
        extra: encoding ? { 'content-encoding': encoding } : undefined,
      })),
    },
  );
}

type Credential = { headers: Record<string, string>; credentialed: boolean; label: string; sign?: 'valid' | 'wrong-token' | 'wrong-url' | 'garbage' };

function credential(route: RouteEntry, t: HostileTarget, privileged: boolean): fc.Arbitrary<Credential> {
  const none: Credential = { headers: {}, credentialed: false, label: 'none' };
  const pick = (good: Credential[], bad: Credential[]) =>
    privileged && good.length ? fc.oneof({ weight: 3, arbitrary: fc.constantFrom(...good) }, { weight: 1, arbitrary: fc.constantFrom(...bad) }) : fc.constantFrom(...bad);
  const bearer = (v: string, label: string): Credential => ({ headers: { authorization: v }, credentialed: false, label });
  const wrongBearers = [
    none,
    bearer('Bearer wrong-token-0123456789abcdef', 'wrong-token'),
    bearer(`Bearer ${t.adminToken.slice(0, -1)}`, 'truncated-token'),
    bearer(`Bearer ${t.adminToken}x`, 'extended-token'),
    bearer(`Basic ${Buffer.from(`admin:${t.adminToken}`).toString('base64')}`, 'basic'),
    bearer(t.adminToken, 'no-scheme'),
    bearer('Bearer ', 'empty-bearer'),
    bearer(`Bearer ${'A'.repeat(10_000)}`, 'huge-token'),
  ];
  switch (route.kind) {
    case 'webhook':
      return pick(
        [{ headers: {}, credentialed: true, label: 'signed', sign: 'valid' }],
        [none, { headers: {}, credentialed: false, label: 'forged', sign: 'wrong-token' }, { headers: {}, credentialed: false, label: 'other-url', sign: 'wrong-url' }, { headers: {}, credentialed: false, label: 'garbage-signature', sign: 'garbage' }],
      );
    case 'api':
      return pick([{ headers: { authorization: `Bearer ${t.adminToken}` }, credentialed: true, label: 'admin-token' }], [...wrongBearers, bearer(`Bearer ${t.metricsToken}`, 'metrics-token')]);
    case 'metrics':
      return pick([{ headers: { authorization: `Bearer ${t.metricsToken}` }, credentialed: true, label: 'metrics-token' }], [...wrongBearers, bearer(`Bearer ${t.adminToken}`, 'admin-token')]);
    case 'console': {
      const session = t.consoleSession;
      const bad: Credential[] = [none, { headers: { cookie: 'threering_console=forged-session' }, credentialed: false, label: 'forged-session' }, { headers: { cookie: `threering_console=${'%'.repeat(50)}; lang=%E0` }, credentialed: false, label: 'mangled-cookie' }];
      // Signing out would end the run's one session: that route gets the bad credentials only.
      const good = session && route.path !== '/console/sign-out' ? [{ headers: { cookie: session.cookie }, credentialed: true, label: 'session' }] : [];
      return pick(good, bad);
    }
    default:
      return fc.constant({ ...none, credentialed: privileged, label: privileged ? 'link' : 'none' });
  }
}

/** Signs the way Twilio does: over PUBLIC_BASE_URL + path and query, and the form parameters the server will parse. */
function twilioSignature(t: HostileTarget, path: string, contentType: string | undefined, bytes: Buffer | undefined, how: NonNullable<Credential['sign']>): string {
  if (how === 'garbage') return 'not-base64-%%%';
  const isForm = (contentType ?? '').split(';')[0]!.trim().toLowerCase() === FORM;
  const params = isForm && bytes ? qs.parse(new TextDecoder().decode(bytes), { depth: 0, allowPrototypes: true, parameterLimit: 1000, strictDepth: true }) : {};
  const url = (how === 'wrong-url' ? 'https://evil.example.test' : t.publicBaseUrl) + path;
  return twilio.getExpectedTwilioSignature(how === 'wrong-token' ? 'not-the-auth-token' : t.twilioAuthToken, url, params as Record<string, string>);
}

/** One hostile request to any route. `privileged` lets it carry valid credentials (most of the time). */
export function hostileRequest(routes: RouteEntry[], t: HostileTarget, privileged: boolean): fc.Arbitrary<HostileRequest> {
  return fc.constantFrom(...routes).chain((route) =>
    fc
      .record({
        cred: credential(route, t, privileged),
        body: body(route, t.known),
        query: query(route, t, privileged),
        otherMethod: rarely(fc.constantFrom('GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS'), 12),
        hugeHeader: rarely(fc.integer({ min: 9_000, max: 40_000 }), 40),
        oddHeader: rarely(fc.constantFrom(...ODD_HEADERS), 5),
      })
      .chain((r) => pathWithParams(route, t, r.cred.credentialed).map((p) => ({ ...r, path: p + r.query })))
      .map(({ cred, body: b, path, otherMethod, hugeHeader, oddHeader }) => {
        const headers: Record<string, string> = { ...(oddHeader ? { [oddHeader[0]]: oddHeader[1] } : {}), ...cred.headers, ...(b.extra ?? {}) };
        if (b.contentType !== undefined && b.contentType !== '') headers['content-type'] = b.contentType;
        const method = otherMethod ?? route.method;
        const bytes = method === 'GET' || method === 'OPTIONS' ? undefined : b.bytes;
        if (cred.sign) headers['x-twilio-signature'] = twilioSignature(t, path, headers['content-type'], headers['content-encoding'] ? undefined : bytes, cred.sign);
        if (route.kind === 'console' && cred.credentialed && t.consoleSession && bytes && b.shape === 'form') {
          // The console's forms carry the session's CSRF token; without it every change is refused.
          return finish(route, method, path, headers, Buffer.concat([Buffer.from(`_csrf=${enc(t.consoleSession.csrf)}&`), bytes]), cred, b.shape, hugeHeader);
        }
        return finish(route, method, path, headers, bytes, cred, b.shape, hugeHeader);
      }),
  );
}

function finish(route: RouteEntry, method: string, path: string, headers: Record<string, string>, body: Buffer | undefined, cred: Credential, shape: string, hugeHeader: number | null): HostileRequest {
  if (hugeHeader) headers['x-padding'] = 'p'.repeat(hugeHeader);
  return { route, method, path, headers, body, credentialed: cred.credentialed && method === route.method, shape: `${shape}/${cred.label}` };
}

/** `count` requests, the same ones for the same seed, routes and records. */
export function generateRequests(routes: RouteEntry[], t: HostileTarget, privileged: boolean, count: number, seed: number): HostileRequest[] {
  if (count <= 0) return [];
  return fc.sample(hostileRequest(routes, t, privileged), { seed, numRuns: count });
}
