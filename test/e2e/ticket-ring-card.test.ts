import nock from 'nock';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { NotifyFeature } from '../../src/notify/notify-feature';
import { afterCallOf } from '../support/after-call';
import { HOTLINE, startHotline, type Hotline } from '../support/hotline-harness';
import { fakeChannels, WECOM_API, type ChannelFakes } from '../support/notify-fakes';

const AGENT = '+8613800000009';
const CALLER = '+8613911112222';
const KEY = 'robot-key-tickets';
// 10:00 on Monday 23 November 2026 in Shanghai.
const START = '2026-11-23T02:00:00Z';

const notifyOf = (h: Hotline) => h.container.features.find((f) => f.name === 'notify') as NotifyFeature;

describe('the ring card carries the caller’s open tickets', () => {
  let h: Hotline;
  let fakes: ChannelFakes;

  beforeEach(async () => {
    h = await startHotline({ WECOM_API_BASE_URL: WECOM_API }, START);
    fakes = fakeChannels({ now: () => h.clock.now(), dingtalkSecrets: {} });
    const agentId = (await h.api.addAgent('张伟', AGENT)).id;
    const channel = await h.api.post('/api/notify-channels', { kind: 'wecom-robot', name: '热线值班群', key: KEY });
    expect((await h.api.put(`/api/agents/${agentId}/notify`, { channel: channel.body.id, mobile: AGENT })).status).toBe(200);
  });
  afterEach(async () => {
    await h.close();
    nock.cleanAll();
  });

  const call = async () => {
    await h.twilio.placeCall({ from: CALLER, to: HOTLINE, agents: { [AGENT]: { does: 'accept', ringSeconds: 3, talkSeconds: 60, hangsUpFirst: 'agent' } } });
    await afterCallOf(h).settled();
    await notifyOf(h).deliverDue();
    return fakes.messages.map((m) => m.content).filter((c) => c.startsWith('【来电】')).at(-1)!;
  };

  it('names the follow-up promised on the last call, with its due time, when the customer calls again; not once it is closed', async () => {
    expect(await call()).not.toContain('未结工单');
    const callId = ((await h.api.get(`/api/calls?caller=${encodeURIComponent(CALLER)}`)).body.calls as { id: string }[])[0]!.id;
    // Promised: a call back by 18:00 Shanghai time.
    const opened = await h.api.post('/api/tickets', { kind: 'follow-up', callId, dueAt: '2026-11-23T18:00:00+08:00', summary: '核实账单后回电' });
    expect(opened.status).toBe(201);

    h.clock.advance(1800);
    const card = await call();
    expect(card.split('\n')).toContain('未结工单：回复客户 11-23 18:00前');
    // A group robot reads no full number.
    expect(card).not.toMatch(/13911112222/);

    expect((await h.api.post(`/api/tickets/${opened.body.id}/close`, { resolution: '已回电告知账单明细' })).status).toBe(200);
    h.clock.advance(1800);
    expect(await call()).not.toContain('未结工单');
  });
});
