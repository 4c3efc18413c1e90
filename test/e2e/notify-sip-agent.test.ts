import nock from 'nock';
import request from 'supertest';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { CallbackFeature } from '../../src/callbacks/callback-feature';
import type { NotifyFeature } from '../../src/notify/notify-feature';
import { afterCallOf } from '../support/after-call';
import { ACCOUNT_SID, HOTLINE, PUBLIC_BASE_URL, startHotline, TWILIO_API, type Hotline } from '../support/hotline-harness';
import { DINGTALK_API, fakeChannels, WECOM_API, type ChannelFakes } from '../support/notify-fakes';
import { interceptTwilioRest, type RestCapture } from '../support/outbound-call';

const SIP = 'sip:13800000009@trunk.example.cn';
const MOBILE = '+8613800000009';
const CALLER = '+8613911112222';
const KEY = 'robot-key-sip-day';
const SECRET = 'SECsip-day-0123456789abcdef';
const ROBOTS = [
  { kind: 'wecom-robot', channel: { kind: 'wecom-robot', name: '热线值班群', key: KEY } },
  { kind: 'dingtalk-robot', channel: { kind: 'dingtalk-robot', name: '热线值班群', accessToken: KEY, secret: SECRET } },
] as const;
// 10:00 in Shanghai: inside the callbacks' day window.
const START = '2026-11-23T02:00:00Z';

const notifyOf = (h: Hotline) => h.container.features.find((f) => f.name === 'notify') as NotifyFeature;
const callbacksOf = (h: Hotline) => h.container.features.find((f) => f.name === 'callbacks') as CallbackFeature;

describe.each(ROBOTS)('an agent reached only through a SIP trunk, with a $kind', (robot) => {
  let h: Hotline;
  let rest: RestCapture;
  let fakes: ChannelFakes;
  let agentId: string;

  beforeEach(async () => {
    h = await startHotline({ WECOM_API_BASE_URL: WECOM_API, DINGTALK_API_BASE_URL: DINGTALK_API, AUTO_PAUSE_AFTER: '2' }, START);
    rest = interceptTwilioRest(TWILIO_API, ACCOUNT_SID);
    // The DingTalk fake checks every request's signature against this secret.
    fakes = fakeChannels({ now: () => h.clock.now(), dingtalkSecrets: { [KEY]: SECRET } });
    agentId = (await h.api.addAgent('Trunk agent', SIP)).id;
    const channel = await h.api.post('/api/notify-channels', robot.channel);
    expect((await h.api.put(`/api/agents/${agentId}/notify`, { channel: channel.body.id, mobile: MOBILE })).status).toBe(200);
  });
  afterEach(async () => {
    await h.close();
    nock.cleanAll();
  });

  const kinds = async () => ((await h.api.get(`/api/notifications?agentId=${agentId}`)).body.notifications as Record<string, any>[]).map((n) => [n.kind, n.status]);

  it('gets the ring card, the notes link, a callback assigned and the auto-pause notice in the robot, no full number, no SMS, and comes back from the page', async () => {
    // An answered call: the card as the phone rings, the notes link once connected.
    await h.twilio.placeCall({ from: CALLER, to: HOTLINE, agents: { [SIP]: { does: 'accept' } } });
    await afterCallOf(h).settled();
    await notifyOf(h).deliverDue();
    expect(fakes.messages.map((m) => m.content.split('\n')[0])).toEqual(['【来电】+86*******2222', expect.stringContaining('热线来电（+86*******2222）已接通')]);
    expect(fakes.messages[0]!.content).toContain('最近来电：无');
    expect(fakes.messages[0]!.content).toContain(`通话页面：${PUBLIC_BASE_URL}/m/calls/`);
    expect(fakes.messages[1]!.content).toContain(`${PUBLIC_BASE_URL}/m/calls/`);

    // Two offers let ring out: a callback for the agent, then the auto-pause.
    h.clock.advance(600);
    await h.twilio.placeCall({ from: CALLER, to: HOTLINE, agents: { [SIP]: { does: 'ring-out' } } });
    expect(await callbacksOf(h).scheduler.runDue(h.clock.now())).toBeGreaterThanOrEqual(1);
    h.clock.advance(60);
    await h.twilio.placeCall({ from: CALLER, to: HOTLINE, agents: { [SIP]: { does: 'ring-out' } } });
    expect((await h.api.get(`/api/agents/${agentId}`)).body).toMatchObject({ paused: true, pausedReason: 'auto-pause' });
    await notifyOf(h).deliverDue();

    expect((await kinds()).sort()).toEqual(
      [
        ['ring-card', 'sent'],
        ['notes-link', 'sent'],
        ['ring-card', 'sent'],
        ['callback-assigned', 'sent'],
        ['ring-card', 'sent'],
        ['auto-pause', 'sent'],
      ].sort(),
    );
    const contents = fakes.messages.map((m) => m.content);
    expect(contents).toHaveLength(6);
    // The second card knows the first call; the third the callback the second one left.
    expect(contents[2]).toMatch(/最近来电：\d\d-\d\d 10:00 已接通/);
    const lastCard = contents.filter((c) => c.startsWith('【来电】')).at(-1)!;
    expect(lastCard).toContain('有待回电');
    expect(contents.find((c) => c.startsWith('【热线回电】'))).toContain(`${PUBLIC_BASE_URL}/callbacks/dial?token=`);
    // The auto-pause notice brings the agent's page, where they come back on duty (no SMS to reply to).
    expect(contents.find((c) => c.includes('已暂停为您转接'))).toContain(`我的页面：${PUBLIC_BASE_URL}/m/me/`);

    // Every message @-mentions the agent's mobile, none carries the caller's full number.
    expect(fakes.refused).toEqual([]);
    expect(fakes.messages.every((m) => m.service === robot.kind && m.to === KEY && m.mentioned[0] === '13800000009')).toBe(true);
    for (const c of contents) expect(c).not.toMatch(/13911112222/);
    // And not one SMS: nothing is texted to a sip: address.
    expect(rest.sms).toEqual([]);

    // Back on duty from the page the notice linked.
    const page = new URL(/我的页面：(\S+)/.exec(contents.find((c) => c.includes('已暂停为您转接'))!)![1]!).pathname;
    expect((await request(h.app).post(`${page}/duty`).type('form').send({ duty: 'on' })).status).toBe(303);
    expect((await h.api.get(`/api/agents/${agentId}`)).body).toMatchObject({ paused: false });
  });
});
