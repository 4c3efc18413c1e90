import nock from 'nock';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { NotifyFeature } from '../../src/notify/notify-feature';
import { ACCOUNT_SID, startHotline, TWILIO_API, type Hotline } from '../support/hotline-harness';
import { DINGTALK_API, fakeChannels, WECOM_API, type ChannelFakes } from '../support/notify-fakes';
import { interceptTwilioRest, type RestCapture } from '../support/outbound-call';
import { consoleBrowser, createAccount, fitsPhone, PHONE, screenshot, signIn, watchProblems } from './console-browser';

const SIP = 'sip:13800000009@trunk.example.cn';
const MOBILE = '+8613800000009';
const WECOM_KEY = 'wecom-key-secret-0001';
const DING_TOKEN = 'ding-token-secret-0001';
const DING_SECRET = 'SECding-signing-secret-0001';
const CORP = { corpId: 'ww0123456789', corpSecret: 'corp-secret-never-shown' };

const notifyOf = (h: Hotline) => h.container.features.find((f) => f.name === 'notify') as NotifyFeature;

describe('the notice channels page in a real browser', () => {
  let h: Hotline;
  let fakes: ChannelFakes;
  let rest: RestCapture;
  let sipAgent: string;
  const ui = consoleBrowser();
  const admin = { username: 'wang', password: 'wang-password-1' };
  const supervisor = { username: 'zhou', password: 'zhou-password-1' };

  beforeAll(async () => {
    h = await startHotline({ WECOM_API_BASE_URL: WECOM_API, DINGTALK_API_BASE_URL: DINGTALK_API });
    rest = interceptTwilioRest(TWILIO_API, ACCOUNT_SID);
    fakes = fakeChannels({ now: () => h.clock.now(), dingtalkSecrets: { [DING_TOKEN]: DING_SECRET }, wecomApp: CORP });
    sipAgent = (await h.api.addAgent('干线坐席', SIP)).id;
    await h.api.addAgent('张伟', '+8613800000001');
    await createAccount(h, admin.username, 'admin', admin.password);
    await createAccount(h, supervisor.username, 'supervisor', supervisor.password);
    await ui.start(h);
  }, 180_000);
  afterAll(async () => {
    await h?.close();
    nock.cleanAll();
  });

  it('an admin adds a channel of each kind (secrets never shown), chooses the alerts channel and an agent’s, reads the delivery log and deletes a channel; at 390 px every action is reachable', { timeout: 150_000 }, async () => {
    const page = await signIn(ui.context, ui.base, admin);
    const watch = watchProblems(page);
    await Promise.all([page.waitForURL(/\/console\/notify$/), page.click('nav a[href="/console/notify"]')]);
    expect(await page.locator('#channels [data-empty]').count()).toBe(1);

    const add = async (kind: string, fields: Record<string, string>) => {
      const form = page.locator(`details[data-kind="${kind}"]`);
      await form.locator('summary').click();
      for (const [name, value] of Object.entries(fields)) await form.locator(`input[name=${name}]`).fill(value);
      await Promise.all([page.waitForURL(/done=1/), form.locator('[data-action=add]').click()]);
    };
    await add('wecom-robot', { name: '热线群（企业微信）', key: WECOM_KEY });
    await add('dingtalk-robot', { name: '热线群（钉钉）', accessToken: DING_TOKEN, secret: DING_SECRET });
    await add('wecom-app', { name: '热线应用', corpId: CORP.corpId, corpSecret: CORP.corpSecret, agentId: '1000002' });
    const channels = (await h.api.get('/api/notify-channels')).body.channels as { id: string; kind: string; name: string }[];
    const idOf = (kind: string) => channels.find((c) => c.kind === kind)!.id;
    expect(channels.map((c) => c.kind).sort()).toEqual(['dingtalk-robot', 'wecom-app', 'wecom-robot']);
    const [wecom, ding, app] = [idOf('wecom-robot'), idOf('dingtalk-robot'), idOf('wecom-app')];
    expect(await page.locator('#channels [data-channel]').count()).toBe(3);
    const shown = await page.content();
    for (const secret of [WECOM_KEY, DING_TOKEN, DING_SECRET, CORP.corpSecret]) expect(shown).not.toContain(secret);

    // The admins' alerts into the DingTalk robot.
    await page.selectOption('#alerts select[name=channel]', ding);
    await Promise.all([page.waitForURL(/done=1/), page.click('#alerts [data-action=alerts]')]);
    expect((await h.api.get('/api/alerts')).body).toEqual({ channel: ding });
    await expect(page.locator('#alerts select[name=channel]').inputValue()).resolves.toBe(ding);

    // The SIP agent into the WeCom robot, @-mentioned by their mobile.
    const row = page.locator(`tr[data-agent="${sipAgent}"]`);
    await row.locator('select[name=channel]').selectOption(wecom);
    await row.locator('input[name=mobile]').fill(MOBILE);
    await Promise.all([page.waitForURL(/done=1/), row.locator('[data-action=agent]').click()]);
    expect((await h.api.get(`/api/agents/${sipAgent}/notify`)).body.notify).toEqual({ channel: wecom, mobile: MOBILE, userId: null });
    await expect(page.locator(`tr[data-agent="${sipAgent}"] [data-current]`).getAttribute('data-current')).resolves.toBe(wecom);

    // Deliveries: one sent, then the robot's rate limit (45009) keeps one queued, with its code.
    fakes.perMinute = 1;
    const agent = (await h.container.agents.get(sipAgent))!;
    await h.container.notifier.toAgent(agent, 'test', { zh: '第一条', en: 'first' });
    await h.container.notifier.toAgent(agent, 'test', { zh: '第二条', en: 'second' });
    // An alert (into the DingTalk robot chosen above) and a ticket's assignee (into the WeCom robot).
    await h.container.notifier.toAdmins('test-alert', '告警');
    await h.container.notifier.toPerson({ mobile: '+8613600000001', channel: wecom }, 'ticket-dispatch', '转办');
    expect(await notifyOf(h).deliverDue()).toEqual({ sent: 2, later: 2, failed: 0 });
    await page.goto(`${ui.base}/console/notify`);
    await expect(page.locator('#log [data-status=sent]').count()).resolves.toBe(2);
    await expect(page.locator('#log [data-status=queued] [data-error-code="45009"]').count()).resolves.toBe(1);
    await expect(page.locator('#log [data-kind=test-alert]').textContent()).resolves.toContain('管理员');
    await expect(page.locator('#log [data-kind=ticket-dispatch]').textContent()).resolves.toContain('承办方');
    await expect(page.locator('#log [data-kind=test][data-status=sent]').textContent()).resolves.toContain('干线坐席');
    await page.selectOption('#log select[name=status]', 'queued');
    await Promise.all([page.waitForURL(/status=queued/), page.click('#log [data-action=filter]')]);
    expect(await page.locator('#log [data-notification]').count()).toBe(2);
    expect(await page.locator('#log [data-status=sent]').count()).toBe(0);
    await screenshot(page, 'console-notify');

    // Everything reachable on a phone; one change made there.
    await page.goto(`${ui.base}/console/notify`);
    await fitsPhone(page, 'console-notify');
    await page.setViewportSize(PHONE);
    await row.locator('select[name=channel]').selectOption(app);
    await row.locator('input[name=userId]').fill('ganxian');
    await Promise.all([page.waitForURL(/done=1/), row.locator('[data-action=agent]').click()]);
    expect((await h.api.get(`/api/agents/${sipAgent}/notify`)).body.notify).toEqual({ channel: app, mobile: MOBILE, userId: 'ganxian' });

    // Deleting the WeCom app: its agent is texted again (their mobile), and the list no longer has it.
    await Promise.all([page.waitForURL(/done=1/), page.locator(`[data-channel="${app}"] [data-action=delete]`).click()]);
    expect(await page.locator('#channels [data-channel]').count()).toBe(2);
    expect(((await h.api.get('/api/notify-channels')).body.channels as { id: string }[]).map((c) => c.id).sort()).toEqual([wecom, ding].sort());
    await expect(page.locator(`tr[data-agent="${sipAgent}"] [data-current]`).getAttribute('data-current')).resolves.toBe('sms');
    expect(rest.sms).toEqual([]);

    // In English too.
    // The switch's own navigation finishes first: a goto that cuts it short aborts its page's requests.
    await Promise.all([page.waitForEvent('load'), page.click('header a[href="/console/lang?to=en"]')]);
    await page.goto(`${ui.base}/console/notify`);
    await expect(page.locator('h1').textContent()).resolves.toBe('Notices');
    await expect(page.locator('#alerts h2').textContent()).resolves.toBe("Admins' alerts channel");
    await expect(page.locator(`tr[data-agent="${sipAgent}"] [data-current]`).textContent()).resolves.toContain('SMS');
    await Promise.all([page.waitForEvent('load'), page.click('header a[href="/console/lang?to=zh"]')]);
    await page.goto(`${ui.base}/console/notify`);
    expect(watch.problems).toEqual([]);

    // A refusal names the problem and changes nothing: SMS to a sip: endpoint with no mobile.
    await row.locator('select[name=channel]').selectOption('sms');
    await row.locator('input[name=mobile]').fill('');
    await Promise.all([page.waitForURL(/\/console\/notify\/agents\//), row.locator('[data-action=agent]').click()]);
    await expect(page.locator('[role=alert]').getAttribute('data-status')).resolves.toBe('400');
    await expect(page.locator('[role=alert]').textContent()).resolves.toContain('mobile');
    expect((await h.api.get(`/api/agents/${sipAgent}/notify`)).body.notify.channel).toBe(app);
    // The refusal's own 400, as the browser reports it; nothing else.
    expect(watch.problems).toEqual([expect.stringMatching(/^400: .*\/console\/notify\/agents\//), expect.stringContaining('status of 400')]);
  });

  it('a supervisor has no link to it and is refused the page and its changes', { timeout: 60_000 }, async () => {
    const page = await signIn(ui.context, ui.base, supervisor);
    expect(await page.locator('nav a[href="/console/notify"]').count()).toBe(0);
    const res = await page.goto(`${ui.base}/console/notify`);
    expect(res?.status()).toBe(403);
    await expect(page.locator('[role=alert]').textContent()).resolves.toContain('supervisor');
    const channelsBefore = (await h.api.get('/api/notify-channels')).body.channels;
    const csrf = await page.evaluate<string>('document.querySelector("input[name=_csrf]").value');
    const post = await page.request.post(`${ui.base}/console/notify/channels`, { form: { _csrf: csrf, kind: 'wecom-robot', name: 'x', key: 'k' } });
    expect(post.status()).toBe(403);
    expect((await h.api.get('/api/notify-channels')).body.channels).toEqual(channelsBefore);
  });
});
