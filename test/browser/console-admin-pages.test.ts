import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { ProtectionFeature } from '../../src/protection/protection-feature';
import { HOTLINE, startHotline, type Hotline } from '../support/hotline-harness';
import { consoleOf, createAccount, cutByNavigation, DESKTOP, fitsWidth, launchChromium, listen, PHONE, screenshot, signIn } from './console-browser';

const A = '+8613800000001';
const B = '+8613800000002';
const C = '+8613800000003';
const CALLER = '+8613911112222';
// 10:00 on Monday 23 November 2026 in Shanghai.
const START = '2026-11-23T02:00:00Z';
const PAGES = ['/console/roster?week=2026-11-23', '/console/leave', '/console/hotlines', '/console/blocklist', '/console/customers', '/console/audit', '/console/account'];

/**
 * Every control of the page's <main> (with every <details> opened) lies inside the window, and no
 * box scrolls sideways: what a supervisor on a phone can reach without hunting.
 */
const OUT_OF_REACH = `(() => {
  document.querySelectorAll('main details').forEach((d) => { d.open = true; });
  const out = [];
  const w = window.innerWidth;
  document.querySelectorAll('main button, main input:not([type=hidden]), main select, main textarea, main a, main summary').forEach((el) => {
    const r = el.getBoundingClientRect();
    if (r.width === 0 && r.height === 0) return;
    if (r.left < -1 || r.right > w + 1) out.push(el.outerHTML.slice(0, 80));
  });
  document.querySelectorAll('main *').forEach((el) => {
    if (el.scrollWidth > el.clientWidth + 1 && getComputedStyle(el).overflowX !== 'visible') out.push('scrolls sideways: ' + el.outerHTML.slice(0, 60));
  });
  return out;
})()`;

describe('the supervisor\'s console pages in a real browser at 1280 and 390 px', () => {
  let h: Hotline;
  let web: Awaited<ReturnType<typeof listen>>;
  let chrome: Awaited<ReturnType<typeof launchChromium>>;
  let browser: Browser;
  let context: BrowserContext;
  const ids: Record<string, string> = {};
  const supervisor = { username: 'zhou', password: 'zhou-password-1' };
  const viewer = { username: 'li', password: 'li-password-1' };
  const admin = { username: 'wang', password: 'wang-password-1' };
  let problems: string[];

  beforeAll(async () => {
    h = await startHotline({}, START);
    for (const [name, phone] of [['张伟', A], ['李娜', B], ['王芳', C]] as const) ids[phone] = (await h.api.addAgent(name, phone)).id;
    await createAccount(h, supervisor.username, 'supervisor', supervisor.password);
    await createAccount(h, viewer.username, 'viewer', viewer.password);
    await createAccount(h, admin.username, 'admin', admin.password);
    // A day pattern and a night pattern: the weekend days are uncovered.
    await h.api.put(`/api/agents/${ids[A]}/schedule`, { weekly: [1, 2, 3, 4, 5].map((day) => ({ day, start: '08:00', end: '20:00' })) });
    await h.api.put(`/api/agents/${ids[B]}/schedule`, { weekly: [1, 2, 3, 4, 5, 6, 7].map((day) => ({ day, start: '20:00', end: '08:00' })) });
    await h.api.put(`/api/agents/${ids[C]}/schedule`, { weekly: [{ day: 1, start: '09:00', end: '18:00' }] });
    await h.api.post('/api/hotlines', { number: '+864008001234', name: '服务热线', agentIds: [ids[A], ids[B], ids[C]], language: 'zh-CN', greeting: '您好' });
    await h.api.post('/api/leaves', { agentId: ids[C], substituteAgentId: ids[A], kind: 'sick', start: '2026-11-24T00:00:00Z', end: '2026-11-25T00:00:00Z' });
    await h.api.post('/api/blocklist', { pattern: '+86170*', reason: 'spam', note: '推销电话，很长的一段备注文字，看看在手机上会不会把页面撑宽' });
    await h.twilio.placeCall({ from: CALLER, to: HOTLINE, agents: { [A]: { does: 'accept', ringSeconds: 2, talkSeconds: 20 }, [B]: { does: 'accept', ringSeconds: 2, talkSeconds: 20 } } });
    const [call] = (await h.api.get('/api/calls')).body.calls;
    await (h.container.features.find((f) => f.name === 'protection') as ProtectionFeature).store.report({ phone: CALLER, callId: call.id, agentId: call.answeredByAgentId, at: h.clock.now() });
    web = await listen(h);
    chrome = await launchChromium();
    browser = chrome.browser;
  });
  afterAll(async () => {
    await chrome?.close();
    await web?.close();
    await h?.close();
  });
  beforeEach(async () => {
    problems = [];
    context = await browser.newContext({ viewport: DESKTOP, locale: 'zh-CN' });
    context.setDefaultTimeout(10_000);
    context.on('page', (p) => watch(p));
  });
  afterEach(async () => {
    await context.close();
  });

  /** Console errors, page errors, failed requests and error answers, wherever they happen. */
  const watch = (p: Page) => {
    p.on('console', (m) => {
      if (m.type() === 'error') problems.push(`console: ${m.text()}`);
    });
    p.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
    p.on('requestfailed', (r) => {
      // Today's live stream (where signing in lands) and a favicon still loading are cut when the browser leaves the page.
      if (!cutByNavigation(r)) problems.push(`failed: ${r.url()} ${r.failure()?.errorText ?? ''}`);
    });
    p.on('response', (r) => {
      if (r.status() >= 400) problems.push(`${r.status()}: ${r.url()}`);
    });
  };

  const submit = async (page: Page, form: string) => {
    await Promise.all([page.waitForURL(/done=1|changed=1|reset=/), page.locator(`${form} button[type=submit]`).click()]);
  };

  it('shows every page whole at 1280 and at 390 px, every control within reach, in Mandarin and English', async () => {
    const page = await signIn(context, web.base, admin);
    for (const size of [DESKTOP, PHONE]) {
      await page.setViewportSize(size);
      for (const path of PAGES) {
        await page.goto(`${web.base}${path}`);
        expect(await fitsWidth(page), `${path} at ${size.width}`).toBe(true);
        expect(await page.evaluate<string[]>(OUT_OF_REACH), `${path} at ${size.width}`).toEqual([]);
        await screenshot(page, `console-${new URL(path, web.base).pathname.split('/').pop()}${size === PHONE ? '-390' : ''}`);
      }
    }
    await page.goto(`${web.base}/console/roster?week=2026-11-23`);
    expect(await page.locator('.day.has-gap').count()).toBe(2);
    await expect(page.locator('[data-day="2026-11-28"] [data-gap]').textContent()).resolves.toContain('08:00–20:00');
    await page.click('text=English');
    await page.waitForURL(/\/console\/roster/);
    await expect(page.locator('h1').textContent()).resolves.toBe('Roster');
    for (const path of PAGES) {
      await page.goto(`${web.base}${path}`);
      expect(await fitsWidth(page), path).toBe(true);
    }
    expect(problems).toEqual([]);
  });

  it('lets a supervisor on a phone edit the roster, record leave, change a hotline, block and unblock, and write up a customer', async () => {
    await context.close();
    context = await browser.newContext({ viewport: PHONE, locale: 'zh-CN', hasTouch: true, isMobile: true });
    context.setDefaultTimeout(10_000);
    context.on('page', (p) => watch(p));
    const page = await signIn(context, web.base, supervisor);

    await page.goto(`${web.base}/console/roster?week=2026-11-23`);
    await page.locator(`[data-pattern="${ids[C]}"] summary`).click();
    await page.fill(`[data-pattern="${ids[C]}"] input[name=day6]`, '08:00-20:00');
    await page.fill(`[data-pattern="${ids[C]}"] input[name=day7]`, '08:00-20:00');
    await submit(page, `[data-pattern="${ids[C]}"] form`);
    expect(await page.locator('.day.has-gap').count()).toBe(0);
    await page.selectOption('form[action="/console/roster/shifts"] select[name=agentId]', ids[B]!);
    await page.fill('form[action="/console/roster/shifts"] input[name=date]', '2026-11-25');
    await page.fill('form[action="/console/roster/shifts"] input[name=start]', '08:00');
    await page.fill('form[action="/console/roster/shifts"] input[name=end]', '12:00');
    await page.selectOption('form[action="/console/roster/shifts"] select[name=kind]', 'off');
    await submit(page, 'form[action="/console/roster/shifts"]');
    expect(await page.locator('[data-shift]').count()).toBe(1);
    await submit(page, '[data-shift] form');
    expect(await page.locator('[data-shift]').count()).toBe(0);

    await page.goto(`${web.base}/console/leave`);
    const add = 'form[action="/console/leave"]';
    await page.selectOption(`${add} select[name=agentId]`, ids[B]!);
    await page.selectOption(`${add} select[name=kind]`, 'annual');
    await page.fill(`${add} input[name=startDate]`, '2026-12-07');
    await page.fill(`${add} input[name=endDate]`, '2026-12-09');
    await page.selectOption(`${add} select[name=substituteAgentId]`, ids[A]!);
    await submit(page, add);
    expect(await page.locator('[data-leave]').count()).toBe(2);
    // The same again for the substitute: refused, and the page says with whose leave.
    await page.selectOption(`${add} select[name=agentId]`, ids[A]!);
    await page.selectOption(`${add} select[name=kind]`, 'annual');
    await page.fill(`${add} input[name=startDate]`, '2026-12-08');
    await page.fill(`${add} input[name=endDate]`, '2026-12-10');
    await page.selectOption(`${add} select[name=substituteAgentId]`, ids[C]!);
    problems.length = 0;
    const [refused] = await Promise.all([page.waitForResponse((r) => r.request().method() === 'POST'), page.locator(`${add} button[type=submit]`).click()]);
    expect(refused.status()).toBe(409);
    await expect(page.locator('[role=alert] [data-collision]').first().textContent()).resolves.toContain('李娜');
    // The refusal's own 409 (and the browser's console line for it, which may come after the
    // response event) is the expected answer, not a problem of the page: cleared once it is shown.
    problems.length = 0;
    expect(await fitsWidth(page)).toBe(true);
    await screenshot(page, 'console-leave-refused-390');

    await page.goto(`${web.base}/console/hotlines`);
    await page.locator('[data-hotline] summary').click();
    await page.fill('[data-hotline] textarea[name=greeting]', '您好，欢迎致电服务热线');
    await page.locator(`[data-hotline] input[name=agentIds][value="${ids[C]}"]`).uncheck();
    await submit(page, '[data-hotline] form');
    expect((await h.api.get('/api/hotlines')).body.hotlines[0]).toMatchObject({ greeting: '您好，欢迎致电服务热线', agentIds: expect.not.arrayContaining([ids[C]]) });

    await page.goto(`${web.base}/console/blocklist`);
    await submit(page, `[data-report="${CALLER}"] form[action$="/reports/block"]`);
    expect(await page.locator(`[data-report="${CALLER}"] .pill`).count()).toBe(1);
    await submit(page, `[data-report="${CALLER}"] form[action$="/reports/lift"]`);
    expect(await page.locator('[data-report]').count()).toBe(0);
    const rule = page.locator('[data-rule]').filter({ hasText: '+86170*' });
    await rule.locator('input[name=expiresOn]').fill('2027-01-31');
    await submit(page, `[data-rule]:has-text("+86170*") form[action$="/expire"]`);
    await expect(page.locator('[data-rule]').filter({ hasText: '+86170*' }).textContent()).resolves.toContain('2027-01-31 00:00 到期');
    await submit(page, `[data-rule]:has-text("+86170*") form[action$="/remove"]`);
    expect(await page.locator('[data-rule]').filter({ hasText: '+86170*' }).count()).toBe(0);
    // A number blocked from the page's own form, with a date it lapses on.
    await page.fill('form[action="/console/blocklist"] input[name=pattern]', '+8613988887777');
    await page.selectOption('form[action="/console/blocklist"] select[name=reason]', 'harassment');
    await page.fill('form[action="/console/blocklist"] input[name=expiresOn]', '2026-12-31');
    await submit(page, 'form[action="/console/blocklist"]');
    expect((await h.api.get('/api/blocklist')).body.rules.find((r: { pattern: string }) => r.pattern === '+8613988887777')).toMatchObject({ reason: 'harassment', expiresAt: '2026-12-30T16:00:00.000Z' });
    // An internal number (the front desk) added and removed.
    await page.fill('form[action="/console/blocklist/internal"] input[name=pattern]', '+862155550000');
    await page.fill('form[action="/console/blocklist/internal"] input[name=name]', '前台');
    await submit(page, 'form[action="/console/blocklist/internal"]');
    await expect(page.locator('[data-internal]').textContent()).resolves.toContain('前台');
    await submit(page, '[data-internal] form[action$="/remove"]');
    expect(await page.locator('[data-internal]').count()).toBe(0);
    expect((await h.api.get('/api/internal-numbers')).body.internalNumbers).toEqual([]);

    await page.goto(`${web.base}/console/customers`);
    await Promise.all([page.waitForURL(/\/console\/customers\/[0-9a-f-]{36}$/), page.locator('[data-customer] a').first().click()]);
    await page.fill('textarea[name=notes]', '老客户');
    await submit(page, 'form[action^="/console/customers/"]');
    expect((await h.api.get(`/api/customers/${encodeURIComponent(CALLER)}`)).body.notes).toBe('老客户');

    await page.goto(`${web.base}/console/audit?action=roster.`);
    expect(await page.locator('[data-audit]').count()).toBeGreaterThan(3);
    expect(await page.evaluate<string[]>(OUT_OF_REACH)).toEqual([]);
    expect(problems).toEqual([]);
  });

  it('lets a viewer read every page with no forms to change anything, and anyone change their own password', async () => {
    const page = await signIn(context, web.base, viewer);
    await page.setViewportSize(PHONE);
    for (const path of PAGES.slice(0, -1)) {
      await page.goto(`${web.base}${path}`);
      expect(await page.locator('main form[method=post]').count(), path).toBe(0);
      expect(await page.content()).not.toContain(CALLER);
    }
    await page.goto(`${web.base}/console/account`);
    expect(await page.locator('form[action="/console/account/reset"]').count()).toBe(0);
    await page.fill('input[name=current]', viewer.password);
    await page.fill('input[name=password]', 'li-new-password-2');
    await page.fill('input[name=repeat]', 'li-new-password-2');
    await submit(page, 'form[action="/console/account/password"]');
    await expect(page.locator('.notice').textContent()).resolves.toContain('密码已修改');
    expect(await page.evaluate<string[]>(OUT_OF_REACH)).toEqual([]);
    expect(problems).toEqual([]);
  });

  it('lets an admin on a phone reset another account’s password: that account’s sessions end, the new password signs in and the old one no longer does', async () => {
    await context.close();
    context = await browser.newContext({ viewport: PHONE, locale: 'zh-CN', hasTouch: true, isMobile: true });
    context.setDefaultTimeout(10_000);
    context.on('page', (p) => watch(p));
    const zhou = await signIn(context, web.base, supervisor);
    const adminContext = await browser.newContext({ viewport: PHONE, locale: 'zh-CN', hasTouch: true, isMobile: true });
    adminContext.on('page', (p) => watch(p));
    try {
      const page = await signIn(adminContext, web.base, admin);
      await page.goto(`${web.base}/console/account`);
      expect(await page.evaluate<string[]>(OUT_OF_REACH)).toEqual([]);
      const reset = 'form[action="/console/account/reset"]';
      const zhouId = (await page.locator(`${reset} option`, { hasText: `${supervisor.username} ·` }).getAttribute('value'))!;
      await page.selectOption(`${reset} select[name=accountId]`, zhouId);
      await page.fill(`${reset} input[name=password]`, 'zhou-reset-password-2');
      await submit(page, reset);
      await expect(page.locator('.notice').textContent()).resolves.toContain('已重设 zhou 的密码');
      // The supervisor's open session ended with the old password: the next page asks to sign in.
      await zhou.goto(`${web.base}/console/roster`);
      expect(await zhou.locator('input[name=password]').count()).toBe(1);
      const audit = await consoleOf(h).audit.recent({ target: zhouId, limit: 1 });
      expect(audit[0]).toMatchObject({ actor: 'account:wang', action: 'account.password-reset' });
    } finally {
      await adminContext.close();
    }
    await context.clearCookies();
    expect((await signIn(context, web.base, { ...supervisor, password: 'zhou-reset-password-2' })).url()).toBe(`${web.base}/console/`);
    await context.clearCookies();
    const old = await context.newPage();
    await old.goto(`${web.base}/console/`);
    await old.fill('input[name=username]', supervisor.username);
    await old.fill('input[name=password]', supervisor.password);
    const [refused] = await Promise.all([old.waitForResponse((r) => r.request().method() === 'POST'), old.click('button[type=submit]')]);
    expect(refused.status()).toBe(401);
    // The refusal's 401 (and the console line for it) is the answer asked for.
    problems.length = 0;
  });
});
