import { Writable } from 'node:stream';
import winston from 'winston';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/logger';
import { startInProcessServer, type RunningServer } from '../../src/simulator/in-process-server';
import { generateRequests, type HostileRequest, type HostileTarget } from '../../scripts/hostile/hostile-requests';
import { describeFailure, judgeAll } from '../../scripts/hostile/hostile-report';
import { leaksIn, twimlProblem } from '../../scripts/hostile/judge';
import { listRoutes, type RouteEntry } from '../../scripts/hostile/route-list';
import { CHANGED_BY_DESIGN, differences, scratchBackend, tableChecksums, type ScratchBackend } from '../../scripts/hostile/scratch-backend';
import { consoleSignIn, createConsoleAdmin, seedHotline } from '../../scripts/hostile/seed-hotline';
import { sendAll, sendRequest } from '../../scripts/hostile/send-request';
import { createApp } from '../../src/app';

const SECRETS = {
  TWILIO_ACCOUNT_SID: 'AC' + 'b2'.repeat(16),
  TWILIO_AUTH_TOKEN: 'hostile-test-auth-token-0123',
  ADMIN_TOKEN: 'hostile-test-admin-token-0123',
  LINK_SECRET: 'hostile-test-link-secret-0123',
  METRICS_TOKEN: 'hostile-test-metrics-token-0123',
};
const PASSWORD = 'hostile-test-password';
const FALLBACK_NUMBER = '+861012345678';
// A few hundred per backend keeps CI short; `npm run hostile` sends 10,000 against a server process.
const REQUESTS = Number(process.env.HOSTILE_REQUESTS ?? 300);
const SEED = Number(process.env.HOSTILE_SEED ?? 20261201);

/** One request by hand, in the shape the generator makes. */
const by = (method: string, path: string, headers: Record<string, string>, body?: string): HostileRequest => ({
  route: { method, path, kind: path.startsWith('/webhooks/') ? 'webhook' : 'api' },
  method,
  path,
  headers,
  body: body === undefined ? undefined : Buffer.from(body),
  credentialed: false,
  shape: 'by hand',
});

describe('hostile input: generated requests over every route', () => {
  let backend: ScratchBackend;
  let server: RunningServer;
  let routes: RouteEntry[];
  let target: HostileTarget;
  const log: string[] = [];

  beforeAll(async () => {
    backend = await scratchBackend();
    const logger = createLogger('debug');
    // The same logger the server uses (its privacy format included), written here instead of the console.
    logger.clear().add(new winston.transports.Stream({ stream: new Writable({ write: (chunk, _enc, done) => (log.push(String(chunk)), done()) }) }));
    server = await startInProcessServer({ ...backend.env, ...SECRETS, FALLBACK_NUMBER, LOG_LEVEL: 'debug', SCHEDULER_INTERVAL_SECONDS: '3600', OUTBOX_RETRY_SECONDS: '3600', CALL_SETTLE_SECONDS: '3600', COMPLAINT_SWEEP_SECONDS: '3600', TRUST_PROXY: 'loopback' }, { logger });
    await createConsoleAdmin(server.container.db, 'hostile', PASSWORD);
    routes = listRoutes(createApp(server.container));
    const seeded = await seedHotline({ url: server.url, adminToken: SECRETS.ADMIN_TOKEN, authToken: SECRETS.TWILIO_AUTH_TOKEN, accountSid: SECRETS.TWILIO_ACCOUNT_SID, calls: 0, seed: SEED });
    target = {
      publicBaseUrl: server.url,
      twilioAuthToken: SECRETS.TWILIO_AUTH_TOKEN,
      adminToken: SECRETS.ADMIN_TOKEN,
      metricsToken: SECRETS.METRICS_TOKEN,
      linkSecret: SECRETS.LINK_SECRET,
      ...seeded,
      consoleSession: await consoleSignIn(server.url, 'hostile', PASSWORD),
    };
  }, 300_000);

  afterAll(async () => {
    await server?.close();
    await backend?.drop();
  });

  it('lists every kind of route from the router, so a new route is attacked without being named', () => {
    const kinds = new Set(routes.map((r) => r.kind));
    expect([...kinds].sort()).toEqual(['api', 'console', 'health', 'metrics', 'signed-link', 'webhook']);
    expect(routes.map((r) => `${r.method} ${r.path}`)).toEqual(expect.arrayContaining(['POST /webhooks/voice/incoming', 'GET /api/calls/:id', 'POST /m/calls/:token', 'POST /console/sign-in', 'GET /metrics']));
  });

  it('changes no record for requests without a valid signature, token, session or link, and answers each with a 4xx', async () => {
    const before = await tableChecksums(server.container.db);
    const requests = generateRequests(routes, target, false, Math.floor(REQUESTS / 2), SEED);
    const outcomes = judgeAll('unsigned', requests, await sendAll(server.url, requests, 4));
    expect(outcomes.filter((o) => o.problem).map(describeFailure)).toEqual([]);
    expect(differences(before, await tableChecksums(server.container.db), CHANGED_BY_DESIGN)).toEqual([]);
  }, 600_000);

  it('answers signed and authenticated hostile requests without a 5xx, with valid TwiML, and logs no number or secret', async () => {
    const requests = generateRequests(routes, target, true, REQUESTS - Math.floor(REQUESTS / 2), SEED + 1);
    const outcomes = judgeAll('signed', requests, await sendAll(server.url, requests, 4));
    expect(outcomes.filter((o) => o.problem).map(describeFailure)).toEqual([]);
    expect(requests.filter((r) => r.credentialed).length).toBeGreaterThan(requests.length / 2);
    expect((await sendRequest(server.url, by('GET', '/healthz', {}))).status).toBe(200);
    const secrets = [...Object.values(SECRETS).slice(1), PASSWORD, target.consoleSession!.cookie.split('=')[1]!, target.consoleSession!.csrf];
    expect(leaksIn(log.join(''), [...target.known.phones, FALLBACK_NUMBER], secrets)).toEqual([]);
  }, 600_000);

  it('refuses a webhook body in a charset it cannot read with a 415 and an apology, not the duty-line fallback', async () => {
    const res = await sendRequest(server.url, by('POST', '/webhooks/voice/incoming', { 'content-type': 'application/x-www-form-urlencoded; charset=koi8-r' }, 'CallSid=x'));
    expect(res.status).toBe(415);
    expect(twimlProblem(res.body!)).toBeUndefined();
    expect(res.body).not.toContain(FALLBACK_NUMBER);
    const gzip = await sendRequest(server.url, by('POST', '/webhooks/voice/status', { 'content-type': 'application/x-www-form-urlencoded', 'content-encoding': 'zzz' }, 'CallSid=x'));
    expect(gzip.status).toBe(415);
  });

  it('answers the API 415 for an unreadable charset and 400 for a path that is not valid percent-encoding, never 500', async () => {
    const auth = { authorization: `Bearer ${SECRETS.ADMIN_TOKEN}` };
    const latin1 = await sendRequest(server.url, by('POST', '/api/agents', { ...auth, 'content-type': 'application/json; charset=latin1' }, '{}'));
    expect([latin1.status, JSON.parse(latin1.body!).error.code]).toEqual([415, 'unsupported_media_type']);
    const badPath = await sendRequest(server.url, by('PATCH', '/api/agents/%ED%A0%80', { ...auth, 'content-type': 'application/json' }, '{}'));
    expect([badPath.status, JSON.parse(badPath.body!).error.message]).toEqual([400, 'path: not valid percent-encoding']);
    const deflate = await sendRequest(server.url, by('POST', '/api/agents', { ...auth, 'content-type': 'application/json', 'content-encoding': 'deflate' }, '{"name":"x"}'));
    expect(deflate.status).toBe(400);
  });

  it('sends a console visitor without a session to sign in, leaving out a page address too long to come back to', async () => {
    const long = `/console/calls?caller=${'%E5%AE%A2'.repeat(1500)}`;
    const res = await sendRequest(server.url, by('GET', long, {}));
    expect(res.status).toBe(303);
    const short = await fetch(`${server.url}/console/calls?outcome=missed`, { redirect: 'manual' });
    expect(short.headers.get('location')).toBe('/console/sign-in?next=%2Fconsole%2Fcalls%3Foutcome%3Dmissed');
  });

  it('switches the console language even when the Referer does not parse', async () => {
    const res = await sendRequest(server.url, by('GET', '/console/lang?to=en', { referer: 'http://[' }));
    expect(res.status).toBe(303);
  });

  it('answers a console error page even when the Referer does not parse', async () => {
    const res = await sendRequest(server.url, by('POST', '/console/sign-in', { 'content-type': 'application/x-www-form-urlencoded; charset=utf-16', referer: 'http://[' }, 'username=a'));
    expect(res.status).toBe(415);
    expect(res.body).toContain('data-status="415"');
  });
});
