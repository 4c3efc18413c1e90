import nock from 'nock';
import request from 'supertest';
import { apiTokenHash } from '../../src/api/admin-auth';
import type { ConsoleFeature } from '../../src/console/console-feature';
import { PostgresApiTokenStore } from '../../src/postgres/api-token-store';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { NotifyFeature } from '../../src/notify/notify-feature';
import { ACCOUNT_SID, HOTLINE, startHotline, TWILIO_API, type Hotline } from '../support/hotline-harness';
import { DINGTALK_API, fakeChannels, WECOM_API, type ChannelFakes } from '../support/notify-fakes';
import { interceptTwilioRest, type RestCapture } from '../support/outbound-call';

const SIP = 'sip:13800000009@trunk.example.cn';
const MOBILE = '+8613800000009';
const CUSTOMER = '+8613911112222';
const DING_TOKEN = 'ding-token-0001';
const DING_SECRET = 'SEC0123456789abcdef0123456789abcdef';
const WECOM_KEY = 'wecom-key-0001';
const CORP = { corpId: 'ww0123456789', corpSecret: 'corp-secret-0123456789' };

const notifyOf = (h: Hotline) => h.container.features.find((f) => f.name === 'notify') as NotifyFeature;

describe('notice channels: WeCom and DingTalk robots, a WeCom app, SMS', () => {
  let h: Hotline;
  let fakes: ChannelFakes;
  let rest: RestCapture;
  let agentId: string;

  beforeEach(async () => {
    h = await startHotline({ WECOM_API_BASE_URL: WECOM_API, DINGTALK_API_BASE_URL: DINGTALK_API, ADMIN_ALERT_PHONES: '+8613700000001' });
    rest = interceptTwilioRest(TWILIO_API, ACCOUNT_SID);
    fakes = fakeChannels({ now: () => h.clock.now(), dingtalkSecrets: { [DING_TOKEN]: DING_SECRET }, wecomApp: CORP });
    agentId = (await h.api.addAgent('Trunk agent', SIP)).id;
  });
  afterEach(async () => {
    await h.close();
    nock.cleanAll();
  });

  const channel = async (body: object) => {
    const res = await h.api.post('/api/notify-channels', body);
    expect(res.status, res.text).toBe(201);
    return res.body.id as string;
  };
  const toAgent = async (text: string) => {
    const agent = (await h.container.agents.get(agentId))!;
    return h.container.notifier.toAgent(agent, 'test', { zh: text, en: `EN ${text}` });
  };
  const notifications = async (query = '') => (await h.api.get(`/api/notifications${query}`)).body.notifications as Record<string, any>[];

  it('a DingTalk robot gets signed requests (the fake checks the signature), the agent @-mentioned, no full number', async () => {
    const id = await channel({ kind: 'dingtalk-robot', name: '热线群', accessToken: DING_TOKEN, secret: DING_SECRET });
    expect((await h.api.put(`/api/agents/${agentId}/notify`, { channel: id, mobile: MOBILE })).status).toBe(200);
    await toAgent(`客户 ${CUSTOMER} 需要回电：https://hotline.example.test/callbacks/dial?token=abc`);
    expect(await notifyOf(h).deliverDue()).toEqual({ sent: 1, later: 0, failed: 0 });
    expect(fakes.refused).toEqual([]);
    expect(fakes.messages).toHaveLength(1);
    const m = fakes.messages[0]!;
    expect(m).toMatchObject({ service: 'dingtalk-robot', to: DING_TOKEN, mentioned: ['13800000009'] });
    expect(m.content).toContain('+86*******2222');
    expect(m.content).not.toContain('13911112222');
    expect(m.content).toContain('https://hotline.example.test/callbacks/dial?token=abc');
    expect(rest.sms).toEqual([]);
    expect(await notifications(`?agentId=${agentId}`)).toEqual([
      expect.objectContaining({ agentId, channel: id, kind: 'test', status: 'sent', sentAt: h.clock.now().toISOString() }),
    ]);
  });

  it('a DingTalk robot with a wrong secret is refused by the fake: the delivery log shows its error code', async () => {
    const id = await channel({ kind: 'dingtalk-robot', name: 'wrong', accessToken: DING_TOKEN, secret: 'SECnot-the-right-one' });
    await h.api.put(`/api/agents/${agentId}/notify`, { channel: id, mobile: MOBILE });
    await toAgent('hello');
    await notifyOf(h).deliverDue();
    expect(fakes.refused).toEqual([{ service: 'dingtalk-robot', errcode: 310000 }]);
    expect(fakes.messages).toEqual([]);
    expect(await notifications()).toEqual([expect.objectContaining({ status: 'failed', errorCode: '310000' })]);
  });

  it('a robot answering with its rate-limit code gets the message again a minute later; nothing is lost', async () => {
    const id = await channel({ kind: 'wecom-robot', name: '热线群', key: WECOM_KEY });
    await h.api.put(`/api/agents/${agentId}/notify`, { channel: id, mobile: MOBILE });
    fakes.perMinute = 3;
    for (let i = 1; i <= 5; i++) await toAgent(`notice ${i}`);
    expect(await notifyOf(h).deliverDue()).toEqual({ sent: 3, later: 2, failed: 0 });
    expect(fakes.refused).toEqual([{ service: 'wecom-robot', errcode: 45009 }]);
    const waiting = await notifications('?status=queued');
    expect(waiting).toHaveLength(2);
    expect(waiting.find((n) => n.errorCode === '45009')).toBeDefined();

    // Not before the minute is over.
    h.clock.advance(30);
    expect(await notifyOf(h).deliverDue()).toEqual({ sent: 0, later: 0, failed: 0 });
    h.clock.advance(31);
    expect(await notifyOf(h).deliverDue()).toEqual({ sent: 2, later: 0, failed: 0 });
    expect(fakes.messages.map((m) => m.content)).toEqual(['notice 1', 'notice 2', 'notice 3', 'notice 4', 'notice 5']);
    expect(fakes.messages.every((m) => m.mentioned[0] === '13800000009')).toBe(true);
    expect(await notifications('?status=sent')).toHaveLength(5);
  });

  it.each([130101, 410100])('a DingTalk robot answering "send too fast" (%i) gets the message again a minute later, signed afresh; nothing is lost', async (code) => {
    const id = await channel({ kind: 'dingtalk-robot', name: '热线群', accessToken: DING_TOKEN, secret: DING_SECRET });
    await h.api.put(`/api/agents/${agentId}/notify`, { channel: id, mobile: MOBILE });
    fakes.perMinute = 1;
    fakes.dingtalkRateLimitCode = code;
    await toAgent('first');
    await toAgent('second');
    expect(await notifyOf(h).deliverDue()).toEqual({ sent: 1, later: 1, failed: 0 });
    expect(fakes.refused).toEqual([{ service: 'dingtalk-robot', errcode: code }]);
    expect(await notifications('?status=queued')).toEqual([expect.objectContaining({ status: 'queued', attempts: 0, errorCode: String(code) })]);
    h.clock.advance(61);
    expect(await notifyOf(h).deliverDue()).toEqual({ sent: 1, later: 0, failed: 0 });
    expect(fakes.messages.map((m) => m.content)).toEqual(['first', 'second']);
    expect(await notifications('?status=sent')).toHaveLength(2);
  });

  it('a DingTalk robot throttled (its 302 for 10 minutes) keeps the message queued, untried, until the throttle is over', async () => {
    const id = await channel({ kind: 'dingtalk-robot', name: '热线群', accessToken: DING_TOKEN, secret: DING_SECRET });
    await h.api.put(`/api/agents/${agentId}/notify`, { channel: id, mobile: MOBILE });
    fakes.dingtalkThrottled = true;
    await toAgent('held');
    expect(await notifyOf(h).deliverDue()).toEqual({ sent: 0, later: 1, failed: 0 });
    expect(await notifications()).toEqual([expect.objectContaining({ status: 'queued', attempts: 0, errorCode: 'http-302' })]);
    h.clock.advance(5 * 60);
    expect(await notifyOf(h).deliverDue()).toEqual({ sent: 0, later: 0, failed: 0 });
    fakes.dingtalkThrottled = false;
    h.clock.advance(5 * 60 + 1);
    expect(await notifyOf(h).deliverDue()).toEqual({ sent: 1, later: 0, failed: 0 });
    expect(fakes.messages.map((m) => m.content)).toEqual(['held']);
  });

  it('keeps each robot within 20 a minute by queueing: the 21st waits for the minute, the robot never says no', async () => {
    const id = await channel({ kind: 'wecom-robot', name: '热线群', key: WECOM_KEY });
    await h.api.put(`/api/agents/${agentId}/notify`, { channel: id, mobile: MOBILE });
    for (let i = 1; i <= 23; i++) await toAgent(`n${i}`);
    expect(await notifyOf(h).deliverDue()).toEqual({ sent: 20, later: 3, failed: 0 });
    h.clock.advance(60);
    expect(await notifyOf(h).deliverDue()).toEqual({ sent: 3, later: 0, failed: 0 });
    expect(fakes.refused).toEqual([]);
    expect(fakes.messages).toHaveLength(23);
  });

  it('a WeCom app keeps its access token until it expires, and fetches another when WeCom says it expired', async () => {
    const id = await channel({ kind: 'wecom-app', name: '热线应用', ...CORP, agentId: '1000002' });
    const refused = await h.api.put(`/api/agents/${agentId}/notify`, { channel: id });
    expect(refused.status).toBe(400);
    expect(refused.body.error.field).toBe('userId');
    expect((await h.api.put(`/api/agents/${agentId}/notify`, { channel: id, userId: 'zhangsan' })).status).toBe(200);
    await toAgent(`客户 ${CUSTOMER}`);
    await toAgent('second');
    await notifyOf(h).deliverDue();
    expect(fakes.tokensIssued).toEqual(['tok-1']);
    expect(fakes.messages.map((m) => [m.service, m.to])).toEqual([
      ['wecom-app', 'zhangsan'],
      ['wecom-app', 'zhangsan'],
    ]);
    // One person's own message: the number is theirs to see.
    expect(fakes.messages[0]!.content).toContain(CUSTOMER);

    fakes.expireTokens();
    await toAgent('third');
    await notifyOf(h).deliverDue();
    expect(fakes.tokensIssued).toEqual(['tok-1', 'tok-2']);
    expect(fakes.refused).toEqual([{ service: 'wecom-app', errcode: 42001 }]);
    expect(fakes.messages).toHaveLength(3);

    // Past expires_in (7200 s) the token is fetched again without being told.
    h.clock.advance(7200);
    await toAgent('fourth');
    await notifyOf(h).deliverDue();
    expect(fakes.tokensIssued).toEqual(['tok-1', 'tok-2', 'tok-3']);
    expect(fakes.refused).toHaveLength(1);
  });

  it('English when the agent reads English', async () => {
    const id = await channel({ kind: 'wecom-robot', name: 'group', key: WECOM_KEY });
    await h.api.put(`/api/agents/${agentId}/notify`, { channel: id, mobile: MOBILE });
    await h.container.db.query(`INSERT INTO agent_page_prefs (agent_id, language, updated_at) VALUES ($1, 'en-US', now())`, [agentId]);
    await toAgent('你好');
    await notifyOf(h).deliverDue();
    expect(fakes.messages[0]!.content).toBe('EN 你好');
  });

  it('GET never shows a secret; DELETE removes a channel, and its agents fall back to SMS', async () => {
    const ids = [
      await channel({ kind: 'wecom-robot', name: 'A', key: WECOM_KEY }),
      await channel({ kind: 'dingtalk-robot', name: 'B', accessToken: DING_TOKEN, secret: DING_SECRET }),
      await channel({ kind: 'wecom-app', name: 'C', ...CORP, agentId: 1000002 }),
    ];
    const list = await h.api.get('/api/notify-channels');
    expect(list.status).toBe(200);
    expect(list.body.channels.map((c: any) => Object.keys(c).sort())).toEqual([0, 1, 2].map(() => ['createdAt', 'id', 'kind', 'name']));
    for (const s of [WECOM_KEY, DING_TOKEN, DING_SECRET, CORP.corpSecret, CORP.corpId]) expect(list.text).not.toContain(s);

    const agent = await h.api.addAgent('Mobile agent', '+8613800000001');
    await h.api.put(`/api/agents/${agent.id}/notify`, { channel: ids[0] });
    expect((await h.api.delete(`/api/notify-channels/${ids[0]}`)).status).toBe(204);
    expect((await h.api.delete(`/api/notify-channels/${ids[0]}`)).status).toBe(404);
    expect((await h.api.get('/api/notify-channels')).body.channels).toHaveLength(2);
    await h.container.notifier.toAgent((await h.container.agents.get(agent.id))!, 'test', '短信', { from: HOTLINE });
    expect(rest.sms).toEqual([expect.objectContaining({ To: '+8613800000001', Body: '短信' })]);
    // An SMS is in the delivery log too.
    expect(await notifications(`?agentId=${agent.id}`)).toEqual([expect.objectContaining({ channel: 'sms', kind: 'test', status: 'sent', attempts: 1 })]);
  });

  it('answers 400 naming the problem', async () => {
    const bad: [object, string][] = [
      [{ kind: 'slack', name: 'x' }, 'kind'],
      [{ kind: 'wecom-robot', name: 'x' }, 'key'],
      [{ kind: 'dingtalk-robot', name: 'x', accessToken: 't' }, 'secret'],
      [{ kind: 'wecom-app', name: 'x', corpId: 'c', corpSecret: 's' }, 'agentId'],
      [{ kind: 'wecom-robot', name: '', key: 'k' }, 'name'],
    ];
    for (const [body, field] of bad) {
      const res = await h.api.post('/api/notify-channels', body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.body.error.field).toBe(field);
    }
    // SMS cannot reach a sip: endpoint: a mobile is needed.
    const sms = await h.api.put(`/api/agents/${agentId}/notify`, { channel: 'sms' });
    expect(sms.status).toBe(400);
    expect(sms.body.error.field).toBe('mobile');
    expect(sms.body.error.message).toContain('sip:');
    expect((await h.api.put(`/api/agents/${agentId}/notify`, { channel: 'sms', mobile: MOBILE })).body.notify).toEqual({ channel: 'sms', mobile: MOBILE, userId: null });
    expect((await h.api.put(`/api/agents/${agentId}/notify`, { channel: 'nope' })).body.error.field).toBe('channel');
    expect((await h.api.put('/api/alerts', { channel: '00000000-0000-4000-8000-000000000000' })).status).toBe(400);
    expect((await h.api.get('/api/notifications?status=lost')).body.error.field).toBe('status');
  });

  it("only an admin changes channels: a supervisor's token reads them and gets 403 for changes", async () => {
    const accounts = (h.container.features.find((f) => f.name === 'console') as ConsoleFeature).accounts;
    const tokens = new PostgresApiTokenStore(h.container.db);
    const sup = await accounts.create('wang', 'wang-password-1', 'supervisor');
    await tokens.create(sup.id, 't', apiTokenHash('tr_supervisor-token'), h.clock.now());
    const as = (token: string) => ({
      get: (path: string) => request(h.app).get(path).set('Authorization', `Bearer ${token}`),
      post: (path: string, body: object) => request(h.app).post(path).set('Authorization', `Bearer ${token}`).send(body),
      put: (path: string, body: object) => request(h.app).put(path).set('Authorization', `Bearer ${token}`).send(body),
    });
    const supervisor = as('tr_supervisor-token');
    expect((await supervisor.post('/api/notify-channels', { kind: 'wecom-robot', name: 'x', key: 'k' })).status).toBe(403);
    expect((await supervisor.put('/api/alerts', { channel: 'sms' })).status).toBe(403);
    expect((await supervisor.put(`/api/agents/${agentId}/notify`, { channel: 'sms', mobile: MOBILE })).status).toBe(403);
    expect((await supervisor.get('/api/notify-channels')).status).toBe(200);
    const admin = await accounts.create('zhao', 'zhao-password-1', 'admin');
    await tokens.create(admin.id, 't', apiTokenHash('tr_admin-token'), h.clock.now());
    expect((await as('tr_admin-token').post('/api/notify-channels', { kind: 'wecom-robot', name: 'x', key: 'k' })).status).toBe(201);
  });

  it('SMS to a sip: endpoint is refused with a clear error, and never attempted', async () => {
    await expect(toAgent('hello')).rejects.toThrow(/sip: endpoint takes no SMS/);
    expect(rest.sms).toEqual([]);
    expect(await notifications()).toEqual([expect.objectContaining({ agentId, channel: 'sms', status: 'failed', errorCode: 'no-sms-endpoint' })]);
    // A text Twilio refuses is logged with Twilio's error code.
    const mobileAgent = await h.api.addAgent('Mobile agent', '+8613800000001');
    rest.failNextSms = 1;
    await expect(h.container.notifier.toAgent((await h.container.agents.get(mobileAgent.id))!, 'test', 'x', { from: HOTLINE })).rejects.toThrow();
    expect(await notifications(`?agentId=${mobileAgent.id}`)).toEqual([expect.objectContaining({ status: 'failed', errorCode: '20500' })]);
  });

  it("admins' alerts go to the alerts channel once chosen, else by SMS to ADMIN_ALERT_PHONES", async () => {
    expect(await h.container.notifier.toAdmins('test-alert', `客户 ${CUSTOMER} 超时`, { from: HOTLINE })).toBe(1);
    expect(rest.sms).toEqual([expect.objectContaining({ To: '+8613700000001' })]);
    const id = await channel({ kind: 'dingtalk-robot', name: '管理群', accessToken: DING_TOKEN, secret: DING_SECRET });
    expect((await h.api.put('/api/alerts', { channel: id })).body).toEqual({ channel: id });
    await h.container.notifier.toAdmins('test-alert', `客户 ${CUSTOMER} 超时`, { from: HOTLINE });
    await notifyOf(h).deliverDue();
    expect(rest.sms).toHaveLength(1);
    expect(fakes.messages).toEqual([expect.objectContaining({ service: 'dingtalk-robot', content: '客户 +86*******2222 超时', mentioned: [] })]);
    expect((await notifications('?status=sent')).map((n) => [n.channel, n.kind]).sort()).toEqual(
      [
        [id, 'test-alert'],
        ['sms', 'test-alert'],
      ].sort(),
    );
  });
});
