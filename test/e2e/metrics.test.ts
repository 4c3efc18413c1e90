import request from 'supertest';
import { afterEach, describe, expect, it } from 'vitest';
import { realDatabaseUrl } from '../support/backends';
import { HOTLINE, startHotline, type Hotline } from '../support/hotline-harness';

const METRICS_TOKEN = 'metrics-token-0123456789';
const AGENT = '+8613800000001';

/** Reads one sample's value from the Prometheus text, or undefined when it is absent. */
function sample(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const line of text.split('\n')) {
    if (line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][\w:]*)(\{[^}]*\})? (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const got = Object.fromEntries([...(m[2] ?? '').matchAll(/(\w+)="([^"]*)"/g)].map((x) => [x[1], x[2]]));
    if (Object.entries(labels).every(([k, v]) => got[k] === v)) return Number(m[3]);
  }
  return undefined;
}

describe('/metrics', () => {
  let h: Hotline;
  afterEach(async () => h?.close());

  it('after a call: webhook latencies by route and status, the call by outcome, within the rule, agents by state', async () => {
    h = await startHotline({ METRICS_TOKEN });
    await h.api.addAgent('Li', AGENT);
    await h.api.addAgent('Wang', '+8613800000002', { paused: true });
    const t = await h.twilio.placeCall({ from: '+8613912345678', to: HOTLINE, agents: { [AGENT]: { does: 'accept', ringSeconds: 3, pressAfterSeconds: 1, talkSeconds: 30 } } });
    expect(t.bridgedTo).toBe(AGENT);
    // An unsigned request is refused, and counted under its route and status.
    await request(h.app).post('/webhooks/voice/incoming').type('form').send({ CallSid: 'CAx' });
    await request(h.app).post('/webhooks/voice/no-such-thing').type('form').send({});

    const res = await request(h.app).get('/metrics').set('Authorization', `Bearer ${METRICS_TOKEN}`);
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toContain('text/plain');
    const text = res.text;
    expect(sample(text, 'threering_webhook_duration_seconds_count', { route: '/webhooks/voice/incoming', status: '200' })).toBe(1);
    expect(sample(text, 'threering_webhook_duration_seconds_count', { route: '/webhooks/voice/incoming', status: '403' })).toBe(1);
    expect(sample(text, 'threering_webhook_duration_seconds_count', { route: '/webhooks/voice/dial-result', status: '200' })).toBe(1);
    expect(sample(text, 'threering_webhook_duration_seconds_count', { route: 'other', status: '403' })).toBe(1);
    expect(text).not.toContain('no-such-thing');
    expect(sample(text, 'threering_calls_last_24h', { outcome: 'answered', hotline: HOTLINE })).toBe(1);
    expect(sample(text, 'threering_calls_last_24h', { outcome: 'missed' })).toBeUndefined();
    expect(sample(text, 'threering_answered_within_rule_last_24h', { hotline: HOTLINE })).toBe(1);
    expect(sample(text, 'threering_agents', { state: 'on_duty' })).toBe(1);
    expect(sample(text, 'threering_agents', { state: 'paused' })).toBe(1);
    expect(sample(text, 'threering_agents', { state: 'talking' })).toBe(0);
    expect(sample(text, 'threering_scheduler_lag_seconds')).toBe(0);
    expect(sample(text, 'threering_outbox_lag_seconds')).toBeGreaterThanOrEqual(0);
    expect(sample(text, 'threering_redis_errors_total')).toBe(0);
    expect(sample(text, 'threering_facts_notices_up')).toBeDefined();
    // Never a number in full.
    expect(text).not.toContain('+8613912345678');
    expect(text).not.toContain(AGENT);
  });

  it('says whether the change notices for the kept facts arrive: on PostgreSQL once listening, never on PGlite', async () => {
    h = await startHotline({ METRICS_TOKEN });
    const notices = async () =>
      sample((await request(h.app).get('/metrics').set('Authorization', `Bearer ${METRICS_TOKEN}`)).text, 'threering_facts_notices_up');
    if (!realDatabaseUrl) {
      expect(await notices()).toBe(0);
      return;
    }
    // The listening connection is made in the background as the instance starts.
    const until = Date.now() + 10_000;
    while ((await notices()) !== 1 && Date.now() < until) await new Promise((r) => setTimeout(r, 50));
    expect(await notices()).toBe(1);
  });

  it('answers only its token, and is absent when METRICS_TOKEN is unset', async () => {
    h = await startHotline({ METRICS_TOKEN });
    expect((await request(h.app).get('/metrics')).status).toBe(401);
    expect((await request(h.app).get('/metrics').set('Authorization', 'Bearer wrong-token-0123456789')).status).toBe(401);
    await h.close();
    h = await startHotline();
    expect((await request(h.app).get('/metrics').set('Authorization', `Bearer ${METRICS_TOKEN}`)).status).toBe(404);
  });
});
