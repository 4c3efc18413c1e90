import nock from 'nock';
import request from 'supertest';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { AgentPageFeature } from '../../src/agent-page/agent-page-feature';
import { HOTLINE, PUBLIC_BASE_URL, ACCOUNT_SID, startHotline, TWILIO_API, type Hotline } from '../support/hotline-harness';
import { interceptTwilioRest, type RestCapture } from '../support/outbound-call';

const A = '+8613800000001';
const B = '+8613800000002';
const SIP = 'sip:13800000003@trunk.example.com';
const MISSED = '+8613911110002';
// 10:30 on Monday 23 November 2026 in Shanghai.
const START = '2026-11-23T02:30:00Z';
const DAY_SHIFT = [1, 2, 3, 4, 5].map((day) => ({ day, start: '11:00', end: '20:00' }));

describe('the digest at the start of each shift', { timeout: 120_000 }, () => {
  let h: Hotline;
  let rest: RestCapture;
  let ids: Record<string, string>;
  const digestsOf = (i: number) => (h.instances[i]!.container.features.find((f) => f.name === 'agent-page') as AgentPageFeature).digests;

  beforeEach(async () => {
    h = await startHotline({ SMS_FROM: HOTLINE }, START, { instances: 2 });
    rest = interceptTwilioRest(TWILIO_API, ACCOUNT_SID);
    ids = {};
    for (const [name, phone] of [['张伟', A], ['李娜', B], ['王芳', SIP]] as const) ids[phone] = (await h.api.addAgent(name, phone)).id;
    for (const phone of [A, SIP]) expect((await h.api.put(`/api/agents/${ids[phone]}/schedule`, { weekly: DAY_SHIFT })).status).toBe(200);
    // Nobody answers: a callback, given to A.
    await h.twilio.placeCall({ from: MISSED, to: HOTLINE });
    const cb = ((await h.api.get('/api/callbacks')).body.callbacks as { id: string }[])[0]!;
    expect((await h.api.patch(`/api/callbacks/${cb.id}`, { ownerAgentId: ids[A] })).status).toBe(200);
    rest.sms.length = 0;
  });
  afterEach(async () => {
    nock.cleanAll();
    await h.close();
  });

  it('sends each agent whose shift starts one digest, once, however many instances run the loop, with their page link', async () => {
    expect(await digestsOf(0).runDue(h.clock.now())).toBe(0);
    h.clock.set(new Date('2026-11-23T03:01:00Z'));
    const sent = await Promise.all([digestsOf(0).runDue(h.clock.now()), digestsOf(1).runDue(h.clock.now()), digestsOf(0).runDue(h.clock.now())]);
    expect(sent.reduce((a, b) => a + b, 0)).toBe(1);
    expect(rest.sms.map((s) => s.To)).toEqual([A]);
    const body = rest.sms[0]!.Body!;
    expect(body).toContain('【热线】张伟，您的班次 11-23 11:00–20:00 开始了。');
    expect(body).toContain('待回电 1 个：+86*******0002');
    expect(body).not.toContain(MISSED);
    expect(body).toContain('来电记录已全部填写。');
    // B is on all day; 王芳's shift starts too, but she has no number to text.
    expect(body).toContain('同班：李娜、王芳。');
    const link = new RegExp(`${PUBLIC_BASE_URL}(/m/me/[A-Za-z0-9_.-]+)`).exec(body);
    expect(link).not.toBeNull();
    const page = await request(h.app).get(link![1]!);
    expect(page.status).toBe(200);
    expect(page.text).toContain('张伟');

    // Later passes within the same shift send nothing more.
    h.clock.advance(600);
    expect(await digestsOf(1).runDue(h.clock.now())).toBe(0);
    expect(rest.sms).toHaveLength(1);
    expect(rest.sms.some((s) => s.To === SIP)).toBe(false);
    // 王芳's digest is settled as skipped: no SMS to a SIP address, and no instance tries again.
    h.clock.advance(600);
    expect(await digestsOf(0).runDue(h.clock.now())).toBe(0);
    const prefs = (h.container.features.find((f) => f.name === 'agent-page') as AgentPageFeature).prefs;
    expect(await prefs.digestsOf(ids[SIP]!)).toEqual([{ shiftStart: new Date('2026-11-23T03:00:00Z'), sentAt: new Date('2026-11-23T03:01:00Z'), skipped: 'no-endpoint' }]);
    expect(rest.sms).toHaveLength(1);
  });

  it('a failed send is tried again at the next pass, in the language the agent chose', async () => {
    await digestsOf(0).runDue(h.clock.now());
    const prefs = (h.container.features.find((f) => f.name === 'agent-page') as AgentPageFeature).prefs;
    await prefs.setLanguage(ids[A]!, 'en-US', h.clock.now());
    h.clock.set(new Date('2026-11-23T03:00:30Z'));
    rest.failNextSms = 1;
    expect(await digestsOf(0).runDue(h.clock.now())).toBe(0);
    expect(rest.failedSms.map((s) => s.To)).toEqual([A]);
    h.clock.advance(60);
    expect(await digestsOf(1).runDue(h.clock.now())).toBe(1);
    expect(rest.sms.map((s) => s.To)).toEqual([A]);
    expect(rest.sms[0]!.Body).toContain('[Hotline] 张伟, your shift 11-23 11:00–20:00 has started.');
    expect(await prefs.digestsOf(ids[A]!)).toEqual([{ shiftStart: new Date('2026-11-23T03:00:00Z'), sentAt: h.clock.now(), skipped: null }]);

    // The next day's shift has its own digest; a shift start more than half an hour past has none.
    h.clock.set(new Date('2026-11-24T03:45:00Z'));
    expect(await digestsOf(0).runDue(h.clock.now())).toBe(0);
    h.clock.set(new Date('2026-11-25T03:29:00Z'));
    expect(await digestsOf(0).runDue(h.clock.now())).toBe(1);
  });
});
