import nock from 'nock';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { CallbackFeature } from '../../src/callbacks/callback-feature';
import type { ComplaintFeature } from '../../src/complaints/complaint-feature';
import type { NotifyFeature } from '../../src/notify/notify-feature';
import type { RosterFeature } from '../../src/roster/roster-feature';
import { afterCallOf, interceptAfterCallRest, type AfterCallRest } from '../support/after-call';
import { HOTLINE, startHotline, type Hotline } from '../support/hotline-harness';
import { DINGTALK_API, fakeChannels, WECOM_API, type ChannelFakes } from '../support/notify-fakes';

const A = '+8613800000001';
const ADMIN = '+8613700000000';
const COMPLAINER = '+8613911112222';
const MISSED = '+8613911113333';
const DING_TOKEN = 'ding-token-admins';
const DING_SECRET = 'SECadmins0123456789abcdef';
// 10:00 on Monday 23 November 2026 in Shanghai.
const START = '2026-11-23T02:00:00Z';
const accepts = { does: 'accept', ringSeconds: 3, pressAfterSeconds: 1, talkSeconds: 30 } as const;

const featureOf = <T>(h: Hotline, name: string) => h.container.features.find((f) => f.name === name) as T;

/**
 * The admins' alerts as the product raises them (a callback's deadline passing, a complaint left
 * unanswered, a roster gap ahead), once an alerts channel is chosen: into that group robot,
 * signed, masked, with no @-mention and no SMS to ADMIN_ALERT_PHONES.
 */
describe("the admins' alerts in the channel chosen for them", { timeout: 120_000 }, () => {
  let h: Hotline;
  let rest: AfterCallRest;
  let fakes: ChannelFakes;
  let agentA: string;

  beforeEach(async () => {
    h = await startHotline({ WECOM_API_BASE_URL: WECOM_API, DINGTALK_API_BASE_URL: DINGTALK_API, ADMIN_ALERT_PHONES: ADMIN }, START);
    rest = interceptAfterCallRest(h);
    fakes = fakeChannels({ now: () => h.clock.now(), dingtalkSecrets: { [DING_TOKEN]: DING_SECRET } });
    agentA = (await h.api.addAgent('Agent A', A)).id;
  });
  afterEach(async () => {
    await h.close();
    nock.cleanAll();
  });

  it('a callback deadline passed, a complaint overdue and a roster gap ahead go to the DingTalk robot, masked; no admin is texted', async () => {
    const channel = await h.api.post('/api/notify-channels', { kind: 'dingtalk-robot', name: '管理群', accessToken: DING_TOKEN, secret: DING_SECRET });
    expect(channel.status).toBe(201);
    const id = channel.body.id as string;
    expect((await h.api.put('/api/alerts', { channel: id })).body).toEqual({ channel: id });

    // A complaint, typed as the call is written up: its reply is due in 30 minutes.
    await h.twilio.placeCall({ from: COMPLAINER, to: HOTLINE, agents: { [A]: accepts } });
    await afterCallOf(h).settled();
    const callId = (await h.api.get('/api/calls')).body.calls[0].id as string;
    expect((await h.api.patch(`/api/calls/${callId}`, { type: 'complaint' })).status).toBe(200);
    // A missed call: a callback owed.
    await h.twilio.placeCall({ from: MISSED, to: HOTLINE });
    const cb = ((await h.api.get('/api/callbacks')).body.callbacks as { phone: string; dueAt: string }[]).find((c) => c.phone === MISSED)!;

    h.clock.advance(31 * 60);
    expect(await featureOf<ComplaintFeature>(h, 'complaints').desk.runDue()).toMatchObject({ alerted: 1 });
    h.clock.set(new Date(new Date(cb.dueAt).getTime() + 60_000));
    await featureOf<CallbackFeature>(h, 'callbacks').scheduler.runDue(h.clock.now());
    // Agent A works weekdays 08:00–20:00: tonight nobody is on duty.
    const weekdays = [1, 2, 3, 4, 5].map((day) => ({ day, start: '08:00', end: '20:00' }));
    expect((await h.api.put(`/api/agents/${agentA}/schedule`, { weekly: weekdays })).status).toBe(200);
    await featureOf<RosterFeature>(h, 'roster').tick();

    await featureOf<NotifyFeature>(h, 'notify').deliverDue();
    expect(fakes.refused).toEqual([]);
    const kinds = ((await h.api.get('/api/notifications?status=sent')).body.notifications as { agentId: string | null; channel: string; kind: string }[])
      .filter((n) => n.agentId === null)
      .map((n) => [n.channel, n.kind])
      .sort();
    expect(kinds).toEqual([
      [id, 'callback-alert'],
      [id, 'complaint-overdue'],
      [id, 'roster-gap'],
    ]);
    const inGroup = fakes.messages.filter((m) => m.to === DING_TOKEN);
    expect(inGroup).toHaveLength(3);
    expect(inGroup.every((m) => m.mentioned.length === 0)).toBe(true);
    for (const m of inGroup) {
      expect(m.content).not.toContain('13911112222');
      expect(m.content).not.toContain('13911113333');
    }
    expect(inGroup.some((m) => m.content.includes('+86*******3333'))).toBe(true);
    expect(rest.sms.filter((s) => s.To === ADMIN)).toEqual([]);
  });
});
