import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/logger';
import { FakeTwilioRest } from '../../src/simulator/fake-twilio-rest';
import { startInProcessServer, type RunningServer } from '../../src/simulator/in-process-server';
import { ScaledClock } from '../../src/simulator/real-time';
import { runSimulation, type SimulationResult } from '../../src/simulator/simulation';
import { freshCoordinator, freshDatabase, type TestDatabase } from '../support/backends';

const AUTH_TOKEN = 'sim-auth-token-0123456789';
const ADMIN_TOKEN = 'sim-admin-token-0123456789';
const ACCOUNT_SID = 'AC' + 'b2'.repeat(16);
const HOTLINE = '+864008005555';
const START = new Date('2026-11-23T02:00:00Z');

/**
 * The simulator against a real server over HTTP (loopback), in scaled real time: the figures the
 * server reports are the calls the simulated callers lived.
 */
describe('the simulator against a running server', () => {
  let testDb: TestDatabase;
  let server: RunningServer;
  let rest: FakeTwilioRest;
  let clock: ScaledClock;
  let result: SimulationResult;
  const agentIds = new Map<string, string>();

  const api = async (path: string, init: RequestInit = {}) => {
    const res = await fetch(server.url + path, { ...init, headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' } });
    return { status: res.status, body: (await res.json()) as any };
  };

  beforeAll(async () => {
    clock = new ScaledClock(10, START);
    testDb = await freshDatabase();
    rest = new FakeTwilioRest({ accountSid: ACCOUNT_SID, authToken: AUTH_TOKEN });
    const restUrl = await rest.listen();
    server = await startInProcessServer(
      { NODE_ENV: 'test', TWILIO_ACCOUNT_SID: ACCOUNT_SID, TWILIO_AUTH_TOKEN: AUTH_TOKEN, ADMIN_TOKEN, TWILIO_API_BASE_URL: restUrl, LOG_LEVEL: 'error' },
      { clock, db: testDb.db, coordinator: freshCoordinator(testDb.db, clock), logger: createLogger('error', true) },
    );
    const phones = ['+8613800000101', '+8613800000102', '+8613800000103'];
    for (const [i, phone] of phones.entries()) {
      const res = await api('/api/agents', { method: 'POST', body: JSON.stringify({ name: `Agent ${i + 1}`, phone }) });
      expect(res.status).toBe(201);
      agentIds.set(phone, res.body.id);
    }
    result = await runSimulation({
      targetUrl: server.url,
      publicBaseUrl: server.url,
      authToken: AUTH_TOKEN,
      accountSid: ACCOUNT_SID,
      hotline: HOTLINE,
      agentPhones: phones,
      calls: 6,
      concurrency: 6,
      seed: 11,
      clock,
      maxTalkSeconds: 15,
      rest,
    });
  }, 120_000);

  afterAll(async () => {
    await server?.close();
    await rest?.close();
    await testDb?.drop();
  });

  it('plays every call to its end, with no failed request and no phone rung twice at once', () => {
    expect(result.errors).toEqual([]);
    expect(result.failedCalls).toBe(0);
    expect(result.transcripts).toHaveLength(6);
    expect(result.doubleRung).toEqual([]);
    expect(result.lived.answered).toBeGreaterThan(0);
    expect(result.timings.filter((t) => t.status >= 300)).toEqual([]);
  });

  it('the server records each call with the outcome the caller lived', async () => {
    for (const t of result.transcripts) {
      const [call] = await testDb.db.query<{ outcome: string; answered_by_agent_id: string | null }>('SELECT outcome, answered_by_agent_id FROM calls WHERE call_sid = $1', [t.callSid]);
      expect(call, t.callSid).toBeDefined();
      if (t.bridgedTo) {
        expect(call!.outcome).toBe('answered');
        expect(call!.answered_by_agent_id).toBe(agentIds.get(t.bridgedTo));
      } else {
        expect(call!.outcome).not.toBe('answered');
        if (t.endedByHotline) expect(call!.outcome).toBe('missed');
      }
    }
  });

  it('the summary counts what the simulator played', async () => {
    const from = new Date(START.getTime() - 60_000).toISOString();
    const to = new Date(clock.now().getTime() + 60_000).toISOString();
    const { status, body } = await api(`/api/analytics/summary?from=${from}&to=${to}`);
    expect(status).toBe(200);
    expect(body.offered).toBe(6);
    expect(body.answered).toBe(result.lived.answered);
    expect(body.missed + body.abandoned).toBe(result.lived.missed + result.lived.abandoned);
    // Each answering agent is texted the link to the call's page, through the fake REST API.
    const pages = rest.sms.filter((s) => s.body.includes('/m/calls/'));
    expect(pages.length).toBe(result.lived.answered);
  });
});
