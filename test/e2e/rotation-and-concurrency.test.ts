import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createApp } from '../../src/app';
import { loadConfig } from '../../src/config';
import { buildContainer } from '../../src/container';
import { createLogger } from '../../src/logger';
import { RedisCoordinator } from '../../src/redis/redis-coordinator';
import { freshDatabase, realDatabaseUrl, realRedisUrl } from '../support/backends';
import { ACCOUNT_SID, ADMIN_TOKEN, AUTH_TOKEN, HOTLINE, PUBLIC_BASE_URL, startHotline, type Hotline } from '../support/hotline-harness';
import { ManualClock } from '../support/manual-clock';
import { randomSid, TwilioDriver } from '../support/twilio-driver';
import { deleteKeys } from '../../scripts/scratch-database';

const AGENTS = ['+8613800000001', '+8613800000002', '+8613800000003'];
const firstDialled = (xml: string) => /<Number[^>]*>([^<]+)<\/Number>/.exec(xml)?.[1];

describe('rotation', () => {
  let h: Hotline;
  beforeEach(async () => {
    h = await startHotline();
    for (const [i, phone] of AGENTS.entries()) await h.api.addAgent(`Agent ${i + 1}`, phone);
  });
  afterEach(async () => h.close());

  it('spreads 30 calls evenly: each of 3 agents is offered first 10 times', async () => {
    const firsts = new Map<string, number>();
    for (let i = 0; i < 30; i++) {
      const t = await h.twilio.placeCall({ from: `+86139${String(i).padStart(8, '0')}`, to: HOTLINE, agents: Object.fromEntries(AGENTS.map((p) => [p, { does: 'accept' as const }])) });
      firsts.set(t.dialed[0]!, (firsts.get(t.dialed[0]!) ?? 0) + 1);
      expect(t.dialed).toHaveLength(1);
    }
    expect([...firsts.entries()].sort()).toEqual(AGENTS.map((p) => [p, 10]));

    const summary = await h.api.get('/api/analytics/summary').query({ from: '2026-11-01T00:00:00Z', to: '2026-12-01T00:00:00Z' });
    expect(summary.status).toBe(200);
    expect(summary.body.agents.map((a: { offeredFirst: number }) => a.offeredFirst)).toEqual([10, 10, 10]);
  });

  it('never rings one agent for two simultaneous calls', async () => {
    const incoming = (sid: string) => h.twilio.post(h.twilio.url('/webhooks/voice/incoming'), { CallSid: sid, From: '+8613911112222', To: HOTLINE, CallStatus: 'ringing' });
    const replies = await Promise.all([incoming(randomSid()), incoming(randomSid()), incoming(randomSid())]);
    const rung = replies.map((r) => firstDialled(r.text));
    expect(new Set(rung).size).toBe(3);

    // A fourth caller finds everyone ringing: they wait in line (a message, then hold music), never silence,
    // and no agent is rung twice.
    const fourth = await incoming(randomSid());
    expect(fourth.status).toBe(200);
    expect(fourth.text).toContain('<Say');
    expect(fourth.text).toContain('<Play>');
    expect(fourth.text).not.toContain('<Dial');
    const calls = await h.api.get('/api/calls');
    expect(calls.body.calls.filter((c: { state: string; waitingSince: string | null }) => c.state === 'hunting' && c.waitingSince)).toHaveLength(1);
  });

  it('keeps an agent who is talking out of other calls until the talk ends', async () => {
    const first = await h.twilio.post(h.twilio.url('/webhooks/voice/incoming'), { CallSid: randomSid(), From: '+8613911110000', To: HOTLINE });
    const attempt = /attempt=([0-9a-f-]{36})/.exec(first.text)![1]!;
    const agent = firstDialled(first.text)!;
    const child = randomSid();
    await h.twilio.post(h.twilio.url(`/webhooks/voice/screen?attempt=${attempt}`), { CallSid: child });
    const bridged = await h.twilio.post(h.twilio.url(`/webhooks/voice/screen-result?attempt=${attempt}`), { CallSid: child, Digits: '1' });
    expect(bridged.text).toBe('<?xml version="1.0" encoding="UTF-8"?><Response/>');

    // Two more calls while the agent talks: neither rings that agent.
    for (let i = 0; i < 2; i++) {
      const t = await h.twilio.placeCall({ from: `+861391111000${i + 1}`, to: HOTLINE });
      expect(t.dialed).not.toContain(agent);
      expect(t.dialed).toHaveLength(2);
    }
  });
});

describe.runIf(realDatabaseUrl && realRedisUrl)('two server instances sharing PostgreSQL and Redis', () => {
  it('share the rotation and never ring the same agent at once', async () => {
    const testDb = await freshDatabase();
    const prefix = `threering-two:${Date.now()}:`;
    const env = { NODE_ENV: 'test', PUBLIC_BASE_URL, TWILIO_ACCOUNT_SID: ACCOUNT_SID, TWILIO_AUTH_TOKEN: AUTH_TOKEN, ADMIN_TOKEN, DATABASE_URL: testDb.url!, REDIS_URL: realRedisUrl!, REDIS_KEY_PREFIX: prefix };
    const config = loadConfig(env);
    const clock = new ManualClock();
    const logger = createLogger('error', true);
    const one = await buildContainer(config, { clock, logger });
    const two = await buildContainer(config, { clock, logger, coordinator: new RedisCoordinator(realRedisUrl!, prefix) });
    try {
      for (const phone of AGENTS) await one.agents.create({ name: phone, phone });
      const drivers = [one, two].map((c) => new TwilioDriver([createApp(c)], AUTH_TOKEN, PUBLIC_BASE_URL, clock));
      const replies = await Promise.all(
        [0, 1, 2].map((i) => drivers[i % 2]!.post(`${PUBLIC_BASE_URL}/webhooks/voice/incoming`, { CallSid: randomSid(), From: '+8613911112222', To: HOTLINE })),
      );
      expect(new Set(replies.map((r) => firstDialled(r.text))).size).toBe(3);
      const offsets = await one.db.query<{ rotation_offset: string }>('SELECT rotation_offset FROM calls ORDER BY rotation_offset');
      expect(offsets.map((r) => Number(r.rotation_offset))).toEqual([0, 1, 2]);
    } finally {
      await one.close();
      await two.close();
      await testDb.drop();
      await deleteKeys(realRedisUrl!, prefix);
    }
  });
});
