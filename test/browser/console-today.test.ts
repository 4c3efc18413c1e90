import { randomBytes } from 'node:crypto';
import { DateTime } from 'luxon';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PostgresAccountStore } from '../../src/postgres/account-store';
import { ACCOUNT_SID, HOTLINE, startHotline, type Hotline } from '../support/hotline-harness';
import { consoleBrowser, consoleOf, createAccount, fitsWidth, PHONE, screenshot, signIn } from './console-browser';

const A = '+8613800000001';
const B = '+8613800000002';
// 10:00 on a Monday in Shanghai.
const START = '2026-11-23T02:00:00Z';

describe('the console in a real browser: signing in, Today, the call log', () => {
  let h: Hotline;
  const ui = consoleBrowser();
  const admin = { username: 'wang', password: 'wang-password-1' };
  const viewer = { username: 'li', password: 'li-password-1' };

  beforeAll(async () => {
    h = await startHotline({ CONSOLE_LIVE_SECONDS: '1' }, START);
    consoleOf(h).start?.();
    await h.api.addAgent('张伟', A);
    await h.api.addAgent('李娜', B);
    await createAccount(h, admin.username, 'admin', admin.password);
    await createAccount(h, viewer.username, 'viewer', viewer.password);
    await ui.start(h);
  });
  afterAll(async () => {
    await h?.close();
  });

  const answeredCall = (from: string, talkSeconds = 30) =>
    h.twilio.placeCall({ from, to: HOTLINE, agents: { [A]: { does: 'accept', ringSeconds: 3, talkSeconds } } });

  it('sends a visitor without a session to the sign-in page, signs in and out, and refuses then throttles wrong passwords', async () => {
    const page = await ui.context.newPage();
    await page.goto(`${ui.base}/console/`);
    expect(new URL(page.url()).pathname).toBe('/console/sign-in');
    await expect(page.locator('button[type=submit]').textContent()).resolves.toBe('登录');

    const zhao = await createAccount(h, 'zhao', 'supervisor');
    for (let i = 0; i < 5; i++) {
      await page.fill('input[name=username]', 'zhao');
      await page.fill('input[name=password]', 'not-the-password');
      const [res] = await Promise.all([page.waitForResponse((r) => r.request().method() === 'POST'), page.click('button[type=submit]')]);
      expect(res.status()).toBe(401);
      await expect(page.locator('[role=alert]').textContent()).resolves.toContain('用户名或密码错误');
    }
    // From the address that was guessing, even the right password waits (unchecked) until its backoff has passed.
    await page.fill('input[name=username]', 'zhao');
    await page.fill('input[name=password]', zhao.password);
    const [locked] = await Promise.all([page.waitForResponse((r) => r.request().method() === 'POST'), page.click('button[type=submit]')]);
    expect(locked.status()).toBe(429);
    await expect(page.locator('[role=alert]').textContent()).resolves.toContain('登录失败次数过多');
    h.clock.advance(15 * 60 + 1);
    await page.fill('input[name=username]', 'zhao');
    await page.fill('input[name=password]', zhao.password);
    await Promise.all([page.waitForURL(`${ui.base}/console/`), page.click('button[type=submit]')]);
    await page.click('text=退出');
    await page.waitForURL(/\/console\/sign-in\?out=1/);
    await expect(page.locator('[role=status]').textContent()).resolves.toContain('已退出登录');
    // The session ended on the server: the old cookie opens nothing.
    await page.goto(`${ui.base}/console/calls`);
    expect(new URL(page.url()).pathname).toBe('/console/sign-in');

    await page.goto(`${ui.base}/console/sign-in`);
    await screenshot(page, 'console-sign-in');
    await page.setViewportSize(PHONE);
    expect(await fitsWidth(page)).toBe(true);
    await screenshot(page, 'console-sign-in-390');
  });

  it('takes an open Today page to the sign-in page when its account is deactivated elsewhere, without a click', async () => {
    const sun = await createAccount(h, 'sun', 'supervisor');
    const page = await signIn(ui.context, ui.base, sun);
    await page.waitForSelector('[data-live][data-updated]');
    const accounts = new PostgresAccountStore(h.container.db);
    const id = (await accounts.list()).find((a) => a.username === 'sun')!.id;
    await accounts.update(id, { active: false }, h.clock.now());
    // The live stream ends with the session; the page reloads, and without a session that is the sign-in page.
    await page.waitForURL(/\/console\/sign-in/);
  });

  it('shows on the Today tiles the figures /api/analytics/summary gives for the same calls', async () => {
    await answeredCall('+8613911110001');
    h.clock.advance(120);
    await answeredCall('+8613911110002', 90);
    h.clock.advance(120);
    // Nobody answers: a missed call and an open callback.
    await h.twilio.placeCall({ from: '+8613911110003', to: HOTLINE });
    h.clock.advance(60);
    await h.twilio.placeCall({ from: '+8613911110004', to: HOTLINE, hangsUpAfterSeconds: 8 });
    h.clock.advance(60);

    const page = await signIn(ui.context, ui.base, admin);
    const from = DateTime.fromJSDate(h.clock.now(), { zone: 'Asia/Shanghai' }).startOf('day').toUTC().toISO()!;
    const summary = (await h.api.get(`/api/analytics/summary?from=${encodeURIComponent(from)}&to=${encodeURIComponent(h.clock.now().toISOString())}`)).body;
    const tile = async (name: string) => page.locator(`[data-tile=${name}]`).getAttribute('data-value');
    expect(summary.offered).toBe(4);
    for (const key of ['offered', 'answered', 'missed', 'abandoned', 'answerRate', 'serviceLevel', 'averageSpeedOfAnswerSeconds']) {
      expect(await tile(key), key).toBe(summary[key] === null ? '' : String(summary[key]));
    }
    await expect(page.locator('[data-tile=answerRate] .v').textContent()).resolves.toBe(`${(summary.answerRate * 100).toFixed(1)}%`);
    const open = (await h.api.get('/api/callbacks?status=open')).body.callbacks.length + (await h.api.get('/api/callbacks?status=attempted')).body.callbacks.length;
    expect(await tile('callbacksOpen')).toBe(String(open));
    await expect(page.locator('[data-agent]').count()).resolves.toBe(2);
    await expect(page.locator('#agent-states').textContent()).resolves.toContain('值班空闲');
  });

  it('shows a call placed through the Twilio model while Today is open, without a reload', async () => {
    const page = await signIn(ui.context, ui.base, admin);
    const before = Number(await page.locator('[data-tile=answered]').getAttribute('data-value'));
    // A mark on the window survives only if the page is never reloaded.
    await page.evaluate('window.__sameDocument = true');
    await page.waitForSelector('[data-live]');

    h.clock.advance(60);
    await answeredCall('+8613911110005');

    // Polled from here: the console's CSP (script-src 'self') refuses the page-side eval of waitForFunction.
    await expect.poll(() => page.locator('[data-tile=answered]').getAttribute('data-value'), { timeout: 10_000 }).toBe(String(before + 1));
    expect(await page.evaluate('window.__sameDocument')).toBe(true);
    await expect(page.locator('#latest').textContent()).resolves.toContain('+8613911110005');
    await screenshot(page, 'console-today');

    await page.setViewportSize(PHONE);
    expect(await fitsWidth(page)).toBe(true);
    await screenshot(page, 'console-today-390');
  });

  it('lists a call whose agent is ringing as in progress, and drops it live when the caller hangs up', async () => {
    const page = await signIn(ui.context, ui.base, admin);
    await expect(page.locator('#in-progress').textContent()).resolves.toContain('当前没有通话');
    h.clock.advance(60);
    // Twilio's incoming webhook alone: the first agent's phone is now ringing, nobody has answered.
    const callSid = `CA${randomBytes(16).toString('hex')}`;
    const incoming = await h.twilio.post(h.twilio.url('/webhooks/voice/incoming'), { CallSid: callSid, From: '+8613911110006', To: HOTLINE, CallStatus: 'ringing', AccountSid: ACCOUNT_SID });
    expect(incoming.status).toBe(200);
    // Polled as a whole: a snapshot taken while the webhook was still at work shows an earlier state.
    const live = async () => ({
      calls: await page.locator('#in-progress [data-call]').allTextContents(),
      ringingAgents: await page.locator('#agent-states [data-state=ringing]').count(),
    });
    await expect.poll(live, { timeout: 10_000 }).toEqual({ calls: [expect.stringMatching(/\+8613911110006[\s\S]*振铃中[\s\S]*(张伟|李娜)/)], ringingAgents: 1 });

    await h.twilio.callStatus(callSid, 'completed');
    await expect.poll(() => page.locator('#in-progress [data-call]').count(), { timeout: 10_000 }).toBe(0);
    await expect(page.locator('#agent-states [data-state=ringing]').count()).resolves.toBe(0);
  });

  it('lists calls with filters, shows a call with its timeline and saves notes with their author', async () => {
    const page = await signIn(ui.context, ui.base, admin);
    await page.goto(`${ui.base}/console/calls?outcome=answered`);
    const rows = page.locator('tbody tr[data-call]');
    expect(await rows.count()).toBe(3);
    await expect(page.locator('tbody').textContent()).not.resolves.toContain('+8613911110003');
    await screenshot(page, 'console-calls');

    await page.goto(`${ui.base}/console/calls?caller=${encodeURIComponent('+8613911110001')}`);
    await Promise.all([page.waitForURL(/\/console\/calls\/[0-9a-f-]{36}$/), page.locator('tbody tr[data-call] a').first().click()]);
    const timeline = await page.locator('ol.timeline').textContent();
    expect(timeline).toContain('来电');
    expect(timeline).toContain('振铃 张伟');
    expect(timeline).toContain('张伟 按1接听');
    expect(timeline).toContain('通话结束');

    await page.selectOption('select[name=type]', 'complaint');
    await page.fill('textarea[name=summary]', '物业报修未处理');
    await Promise.all([page.waitForURL(/done=1/), page.click('form.stack button[type=submit]')]);
    await expect(page.locator('[role=status]').textContent()).resolves.toBe('已保存');
    const history = await page.locator('table').first().textContent();
    expect(history).toContain('account:wang');
    expect(history).toContain('物业报修未处理');
    await expect(page.locator('text=客户档案').count()).resolves.toBe(1);
    await screenshot(page, 'console-call');
    await page.setViewportSize(PHONE);
    expect(await fitsWidth(page)).toBe(true);
    await screenshot(page, 'console-call-390');

    const id = new URL(page.url()).pathname.split('/').pop();
    const notes = (await h.api.get(`/api/calls/${id}/notes-history`)).body.changes;
    expect(notes.map((c: { changedBy: string }) => c.changedBy)).toEqual(['account:wang', 'account:wang']);
  });

  it('shows a viewer the calls with callers\' numbers masked and no notes form', async () => {
    const page = await signIn(ui.context, ui.base, viewer);
    await page.goto(`${ui.base}/console/calls`);
    const text = await page.locator('tbody').textContent();
    expect(text).toContain('+86*******0001');
    expect(text).not.toContain('+8613911110001');
    await page.locator('tbody tr[data-call] a').first().click();
    await page.waitForURL(/\/console\/calls\/[0-9a-f-]{36}$/);
    expect(await page.locator('form.stack').count()).toBe(0);
    const id = new URL(page.url()).pathname.split('/').pop();
    // Forged or not, a viewer's change is refused and changes nothing.
    const csrf = await page.locator('input[name=_csrf]').first().getAttribute('value');
    const res = await page.request.post(`${ui.base}/console/calls/${id}/notes`, { form: { _csrf: csrf!, type: 'repair' } });
    expect(res.status()).toBe(403);
    const call = (await h.api.get(`/api/calls/${id}`)).body;
    expect(call.type).not.toBe('repair');
  });
});
