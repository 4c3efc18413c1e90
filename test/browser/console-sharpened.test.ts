import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CallbackFeature } from '../../src/callbacks/callback-feature';
import { maskPhone } from '../../src/domain/endpoint';
import { ACCOUNT_SID, HOTLINE, startHotline, TWILIO_API, type Hotline } from '../support/hotline-harness';
import { interceptTwilioRest, playCallbackCall } from '../support/outbound-call';
import { consoleBrowser, consoleOf, createAccount, DESKTOP, fitsPhone, fitsWidth, PHONE, screenshot, signIn, watchProblems } from './console-browser';

const A = '+8613800000001';
const B = '+8613800000002';
// 10:00 on Monday 23 November 2026 in Shanghai.
const START = '2026-11-23T02:00:00Z';
const MIN = 60_000;

describe('the console sharpened (issue 25): pause reasons, callbacks, fines, weekly.csv, Today’s warning, ratings, the language switch, 390 px', () => {
  let h: Hotline;
  const ui = consoleBrowser();
  let agentA: string;
  let agentB: string;
  const supervisor = { username: 'walk.super', password: 'walk-password-1' };
  const admin = { username: 'wang', password: 'wang-password-1' };
  const callbacks = () => h.container.features.find((f) => f.name === 'callbacks') as CallbackFeature;

  beforeAll(async () => {
    h = await startHotline({}, START);
    agentA = (await h.api.addAgent('张伟', A)).id;
    agentB = (await h.api.addAgent('李娜', B)).id;
    await consoleOf(h).accounts.create(supervisor.username, supervisor.password, 'supervisor', '周主管');
    await createAccount(h, admin.username, 'admin', admin.password);
    // One answered and rated call, then three callers nobody answered: three callbacks.
    h.clock.advance(300);
    await h.twilio.placeCall({ from: '+8613911110001', to: HOTLINE, agents: { [A]: { does: 'accept', ringSeconds: 3, talkSeconds: 60, hangsUpFirst: 'agent' } }, onGather: () => ({ digits: '5' }) });
    for (const from of ['+8613911110011', '+8613911110012', '+8613911110013']) {
      h.clock.advance(300);
      await h.twilio.placeCall({ from, to: HOTLINE });
    }
    const due = (await h.api.get('/api/callbacks')).body.callbacks as { dueAt: string; phone: string }[];
    // The first two run past their deadline (two fines); the third stays open, on time.
    const late = due.filter((c) => c.phone !== '+8613911110013').map((c) => new Date(c.dueAt).getTime());
    h.clock.set(new Date(Math.max(...late) + MIN));
    await callbacks().scheduler.runDue(h.clock.now());
    await ui.start(h);
    // Whole call flows on a busy machine: more than the default minute, only to catch a hang.
  }, 180_000);
  afterAll(async () => {
    await h?.close();
  });

  it('declares the sign-in page’s own language, switches to English and back before signing in, and serves a favicon', async () => {
    const page = await ui.context.newPage();
    const watch = watchProblems(page);
    await page.goto(`${ui.base}/console/sign-in`);
    await expect(page.locator('html').getAttribute('lang')).resolves.toBe('zh-CN');
    await Promise.all([page.waitForURL(/\/console\/sign-in/), page.click('text=English')]);
    await expect(page.locator('html').getAttribute('lang')).resolves.toBe('en');
    await expect(page.locator('button[type=submit]').textContent()).resolves.toBe('Sign in');
    await Promise.all([page.waitForURL(/\/console\/sign-in/), page.click('text=中文')]);
    await expect(page.locator('html').getAttribute('lang')).resolves.toBe('zh-CN');
    await expect(page.locator('button[type=submit]').textContent()).resolves.toBe('登录');
    await expect(page.locator('link[rel=icon]').getAttribute('href')).resolves.toBe('/console/assets/favicon.svg');
    for (const path of ['/favicon.ico', '/console/assets/favicon.svg']) {
      const icon = await page.request.get(`${ui.base}${path}`);
      expect(icon.status(), path).toBe(200);
      expect(icon.headers()['content-type'], path).toContain('image/svg+xml');
    }
    expect(watch.problems).toEqual([]);
  });

  it('lists callbacks with when the call was (a link to it) and the time left, and shows those done in their own view', async () => {
    const page = await signIn(ui.context, ui.base, supervisor);
    const watch = watchProblems(page);
    await page.goto(`${ui.base}/console/callbacks`);
    const rows = page.locator('tr[data-callback]');
    expect(await rows.count()).toBe(3);
    const api = (await h.api.get('/api/callbacks')).body.callbacks as { id: string; phone: string; callIds: string[] }[];
    for (let i = 0; i < 3; i++) {
      const id = (await rows.nth(i).getAttribute('data-callback'))!;
      const cb = api.find((x) => x.id === id)!;
      await expect(rows.nth(i).locator('[data-called-at] a').getAttribute('href')).resolves.toBe(`/console/calls/${cb.callIds[0]}`);
      const left = (await rows.nth(i).locator('[data-time-left]').textContent())!;
      expect(left).toMatch(i < 2 ? /^超时 / : /^剩 /);
    }
    await screenshot(page, 'console-callbacks-open');
    await fitsPhone(page, 'console-callbacks-open');

    // The on-time one is placed from the console and the customer answers: done.
    const onTime = (await rows.nth(2).getAttribute('data-callback'))!;
    const rest = interceptTwilioRest(TWILIO_API, ACCOUNT_SID);
    await Promise.all([page.waitForURL(/placed=1/), page.locator(`tr[data-callback="${onTime}"] form[action$="/dial"] button`).click()]);
    await playCallbackCall(h.twilio, h.clock, rest.calls[0]!, { does: 'press', digit: '1' }, { does: 'answer' });
    expect((await h.api.get(`/api/callbacks/${onTime}`)).body.status).toBe('done');
    await page.goto(`${ui.base}/console/callbacks`);
    expect(await page.locator(`tr[data-callback="${onTime}"]`).count()).toBe(0);
    await Promise.all([page.waitForURL(/view=done/), page.click('[data-view=done]')]);
    const done = page.locator(`tr[data-callback="${onTime}"]`);
    await expect(done.getAttribute('data-status')).resolves.toBe('done');
    expect(await done.locator('[data-called-at] a').count()).toBe(1);
    expect(await page.locator('form[action$="/dial"]').count()).toBe(0);
    await fitsPhone(page, 'console-callbacks-done');
    expect((await page.request.get(`${ui.base}/console/callbacks?view=nonsense`)).status()).toBe(400);
    expect(watch.problems).toEqual([]);
  });

  it('links each fine to its caller (masked) and callback, and names who waived it by the name they go by', async () => {
    const page = await signIn(ui.context, ui.base, supervisor);
    const watch = watchProblems(page);
    await page.goto(`${ui.base}/console/fines?month=2026-11`);
    const row = page.locator('tr[data-fine]').first();
    const fineId = (await row.getAttribute('data-fine'))!;
    const fine = ((await h.api.get('/api/fines?month=2026-11')).body.agents as { fines: { id: string; callbackId: string }[] }[]).flatMap((a) => a.fines).find((f) => f.id === fineId)!;
    const cb = (await h.api.get(`/api/callbacks/${fine.callbackId}`)).body as { id: string; phone: string; callIds: string[] };
    await expect(row.locator('[data-fine-caller]').textContent()).resolves.toBe(maskPhone(cb.phone));
    await expect(row.locator('[data-fine-callback]').getAttribute('href')).resolves.toMatch(new RegExp(`/console/callbacks(\\?view=done)?#cb-${cb.id}$`));
    await expect(row.locator('[data-fine-call]').getAttribute('href')).resolves.toBe(`/console/calls/${cb.callIds[0]}`);
    await row.locator('input[name=reason]').fill('线路故障，非坐席原因');
    await Promise.all([page.waitForURL(/waived=1/), row.locator('button[type=submit]').click()]);
    const waived = page.locator(`tr[data-fine="${fineId}"] [data-waived-by]`);
    await expect(waived.getAttribute('data-waived-by')).resolves.toBe('account:walk.super');
    const text = (await waived.textContent())!;
    expect(text).toContain('周主管');
    expect(text).not.toContain('account:');
    // The link leads to the callback's row.
    await Promise.all([page.waitForURL(/\/console\/callbacks/), page.locator(`tr[data-fine="${fineId}"] [data-fine-callback]`).click()]);
    expect(await page.locator(`#cb-${cb.id}`).count()).toBe(1);
    await page.goto(`${ui.base}/console/fines?month=2026-11`);
    await fitsPhone(page, 'console-fines-linked');
    expect(watch.problems).toEqual([]);
  });

  it('says why an agent is paused, and warns on Today when nobody can be rung', async () => {
    const page = await signIn(ui.context, ui.base, supervisor);
    const watch = watchProblems(page);
    // The roster's own auto-pause, as after missed offers.
    await h.container.roster.setPaused(agentA, true, 'auto-pause', 'auto-pause', h.clock.now(), { missedOffers: 3 });
    await page.goto(`${ui.base}/console/`);
    await expect(page.locator(`#agent-states tr[data-agent="${agentA}"] [data-pause-reason]`).textContent()).resolves.toContain('连续未接，系统自动暂停');
    expect(await page.locator('[data-nobody-to-ring]').count()).toBe(0);
    await page.goto(`${ui.base}/console/agents`);
    await expect(page.locator(`tr[data-agent="${agentA}"] [data-pause-reason]`).textContent()).resolves.toContain('连续未接，系统自动暂停');

    // The last one on duty paused from the console, with a reason: nobody can be rung.
    const rowB = page.locator(`tr[data-agent="${agentB}"]`);
    await rowB.locator('input[name=reason]').fill('培训');
    await Promise.all([page.waitForURL(/done=1/), rowB.locator('form[action$="/state"] button', { hasText: '暂停' }).click()]);
    await expect(page.locator(`tr[data-agent="${agentB}"] [data-pause-reason]`).textContent()).resolves.toContain('管理员暂停 · 培训 · 自 11-23');
    await fitsPhone(page, 'console-agents-paused');
    await page.goto(`${ui.base}/console/`);
    await expect(page.locator('[data-nobody-to-ring]').getAttribute('role')).resolves.toBe('alert');
    await expect(page.locator('[data-nobody-to-ring]').textContent()).resolves.toContain('现在没有可以接听的坐席');
    await screenshot(page, 'console-today-nobody');
    await page.setViewportSize(PHONE);
    expect(await fitsWidth(page)).toBe(true);
    await page.setViewportSize(DESKTOP);
    expect((await h.api.patch(`/api/agents/${agentB}`, { paused: false })).status).toBe(200);
    await page.reload();
    expect(await page.locator('[data-nobody-to-ring]').count()).toBe(0);
    expect(watch.problems).toEqual([]);
  });

  it('rounds the weekly CSV’s figures and gives each day its answer rate', async () => {
    const page = await signIn(ui.context, ui.base, admin);
    const csv = await (await page.request.get(`${ui.base}/console/reports/weekly.csv?week=2026-W48`)).text();
    // No cell is a float with its noise (the week's first line carries ISO times, which are not figures).
    expect(csv.split('\r\n').slice(1).join('\n')).not.toMatch(/\d\.\d{3,}/);
    // Four offered, one answered: 25 % that day; the other days had no call and have no rate.
    expect(csv).toContain('2026-11-23,4,1,3,0,25,');
    expect(csv).toMatch(/\r\n2026-11-24,0,0,0,0,,\r\n/);
    expect(csv).toContain('接通率 (%)');
  });

  it('shows when a rating was given, in the call log and on the call', async () => {
    const page = await signIn(ui.context, ui.base, supervisor);
    await page.goto(`${ui.base}/console/calls?outcome=answered`);
    const rated = page.locator('tr[data-call]', { has: page.locator('[data-rated-at]') });
    expect(await rated.count()).toBe(1);
    await expect(rated.locator('[data-rated-at]').textContent()).resolves.toMatch(/^\d{2}:\d{2}$/);
    const id = (await rated.getAttribute('data-call'))!;
    const api = (await h.api.get(`/api/calls/${id}`)).body;
    expect(api.ratedAt).toEqual(expect.any(String));
    await page.goto(`${ui.base}/console/calls/${id}`);
    await expect(page.locator('li[data-rated-at]').textContent()).resolves.toMatch(/^2026-11-23 \d{2}:\d{2}:\d{2} 客户评分 5$/);
  });

  it('puts every action of the accounts and tokens pages in reach at 390 px', async () => {
    const page = await signIn(ui.context, ui.base, admin);
    const watch = watchProblems(page);
    for (const path of ['/console/accounts', '/console/tokens']) {
      await page.goto(`${ui.base}${path}`);
      await fitsPhone(page, path === '/console/accounts' ? 'console-accounts-reach' : 'console-tokens-reach');
    }
    // A display name set on the accounts page is what the console shows.
    const row = page.locator('tr[data-account="wang"]');
    await page.goto(`${ui.base}/console/accounts`);
    await row.locator('input[name=displayName]').fill('王管理');
    await Promise.all([page.waitForURL(/\/console\/accounts$/), row.locator('button').click()]);
    await expect(page.locator('tr[data-account="wang"] td').first().textContent()).resolves.toContain('王管理');
    expect(watch.problems).toEqual([]);
  });
});
