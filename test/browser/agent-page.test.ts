import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { CallbackFeature } from '../../src/callbacks/callback-feature';
import { ACCOUNT_SID, HOTLINE, PUBLIC_BASE_URL, startHotline, TWILIO_API, type Hotline } from '../support/hotline-harness';
import { interceptTwilioRest, type RestCapture } from '../support/outbound-call';
import { fitsWidth, launchChromium, listen, PHONE, screenshot } from './console-browser';

const A = '+8613800000001';
const B = '+8613800000002';
const ANSWERED = '+8613911110001';
const LAPSED = '+8613911110002';
const OPEN = '+8613911110003';
// 10:00 on Monday 23 November 2026 in Shanghai.
const START = '2026-11-23T02:00:00Z';

/** Every button and link of the page lies within the window's width: reachable without scrolling sideways. */
async function everyControlInside(page: Page): Promise<string[]> {
  const outside: string[] = [];
  for (const el of await page.locator('button, a, select, input:not([type=hidden])').all()) {
    const box = await el.boundingBox();
    if (!box || box.x < 0 || box.x + box.width > PHONE.width + 0.5) outside.push(`${await el.evaluate((e) => (e as unknown as { outerHTML: string }).outerHTML.slice(0, 80))} at ${JSON.stringify(box)}`);
  }
  return outside;
}

describe("the agent's phone page in a real browser at 390 px", { timeout: 180_000 }, () => {
  let h: Hotline;
  let rest: RestCapture;
  let web: Awaited<ReturnType<typeof listen>>;
  let chrome: Awaited<ReturnType<typeof launchChromium>>;
  let browser: Browser;
  let context: BrowserContext;
  let agentA: string;
  let agentB: string;
  let openCallback: string;

  beforeAll(async () => {
    h = await startHotline({ SMS_FROM: HOTLINE }, START);
    rest = interceptTwilioRest(TWILIO_API, ACCOUNT_SID);
    agentA = (await h.api.addAgent('张伟', A)).id;
    agentB = (await h.api.addAgent('李娜', B)).id;
    await h.twilio.placeCall({ from: ANSWERED, to: HOTLINE, agents: { [A]: { does: 'accept', ringSeconds: 3, talkSeconds: 60, hangsUpFirst: 'agent' } }, onGather: () => ({ digits: '5' }) });
    // One callback runs past its deadline (a fine), another stays open; both A's.
    const own = async (phone: string) => {
      const cb = ((await h.api.get('/api/callbacks')).body.callbacks as { id: string; phone: string }[]).find((c) => c.phone === phone)!;
      expect((await h.api.patch(`/api/callbacks/${cb.id}`, { ownerAgentId: agentA })).status).toBe(200);
      return cb;
    };
    h.clock.advance(60);
    await h.twilio.placeCall({ from: LAPSED, to: HOTLINE });
    const lapsed = (await h.api.get(`/api/callbacks/${(await own(LAPSED)).id}`)).body;
    h.clock.set(new Date(new Date(lapsed.dueAt).getTime() + 60_000));
    await (h.container.features.find((f) => f.name === 'callbacks') as CallbackFeature).scheduler.runDue(h.clock.now());
    await h.twilio.placeCall({ from: OPEN, to: HOTLINE });
    openCallback = (await own(OPEN)).id;
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
    context = await browser.newContext({ viewport: PHONE, locale: 'zh-CN' });
    context.setDefaultTimeout(10_000);
  });
  afterEach(async () => {
    await context.close();
  });

  it('goes off and on duty, asks for leave with a substitute, starts a callback, writes up a call, sees fines and figures', async () => {
    const page = await context.newPage();
    const problems: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error' || m.type() === 'warning') problems.push(`console ${m.type()}: ${m.text()}`);
    });
    page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
    page.on('requestfailed', (r) => problems.push(`request failed: ${r.method()} ${r.url()} ${r.failure()?.errorText}`));
    page.on('response', (r) => {
      if (r.status() >= 400) problems.push(`HTTP ${r.status()}: ${r.request().method()} ${r.url()}`);
    });
    const link = (await h.api.get(`/api/agents/${agentA}/page-link`)).body.url as string;
    const home = `${web.base}${link.slice(PUBLIC_BASE_URL.length)}`;
    const fits = async (what: string) => {
      expect(await fitsWidth(page), what).toBe(true);
      expect(await everyControlInside(page), what).toEqual([]);
    };

    await page.goto(home);
    await expect(page.locator('h1').textContent()).resolves.toBe('张伟');
    await fits('the page');
    await screenshot(page, 'agent-page-390');

    // Off duty, then on again.
    await Promise.all([page.waitForURL(/done=off/), page.click('[data-action=duty-off]')]);
    await expect(page.locator('[role=status]').textContent()).resolves.toContain('已下班');
    expect((await h.api.get(`/api/agents/${agentA}`)).body).toMatchObject({ paused: true });
    await fits('off duty');
    await Promise.all([page.waitForURL(/done=on/), page.click('[data-action=duty-on]')]);
    await expect(page.locator('[role=status]').textContent()).resolves.toContain('已上班');
    expect((await h.api.get(`/api/agents/${agentA}`)).body).toMatchObject({ paused: false });

    // Leave tomorrow, 李娜 covering.
    await page.selectOption('#kind', 'personal');
    await page.fill('#start', '2026-11-24T08:00');
    await page.fill('#end', '2026-11-24T20:00');
    await page.selectOption('#substituteAgentId', agentB);
    await Promise.all([page.waitForURL(/done=leave/), page.click('[data-action=leave]')]);
    await expect(page.locator('[role=status]').textContent()).resolves.toContain('请假已登记');
    expect((await h.api.get('/api/leaves')).body.leaves).toEqual([expect.objectContaining({ agentId: agentA, substituteAgentId: agentB, start: '2026-11-24T00:00:00.000Z' })]);
    await expect(page.locator('#leave li').first().textContent()).resolves.toContain('李娜');
    await fits('after the leave');

    // A callback, placed through the hotline: A's phone is rung first.
    await Promise.all([page.waitForURL(/done=dialled/), page.click(`li[data-callback="${openCallback}"] [data-action=dial]`)]);
    await expect(page.locator('[role=status]').textContent()).resolves.toContain('正在呼叫您的电话');
    expect(rest.calls.map((c) => c.params.get('To'))).toEqual([A]);

    // Fines and figures.
    await expect(page.locator('[data-fine-total]').getAttribute('data-fine-total')).resolves.toBe('20');
    await expect(page.locator('[data-figure=calls]').textContent()).resolves.toBe('1');
    await expect(page.locator('[data-figure=rating]').textContent()).resolves.toContain('5.00 / 5');
    await expect(page.locator('[data-figure=grade]').textContent()).resolves.toMatch(/^[A-E] \(/);
    await fits('fines and figures');

    // The call still to write up opens its notes form.
    await Promise.all([page.waitForURL(/\/m\/calls\//), page.click('[data-action=write-up]')]);
    await expect(page.locator('h1').textContent()).resolves.toBe('来电记录');
    expect(await fitsWidth(page)).toBe(true);
    await page.selectOption('#type', 'consultation');
    await page.fill('#summary', '咨询营业时间');
    await Promise.all([page.waitForURL(/done=saved/), page.click('form:has(#summary) button[type=submit]')]);
    await page.goto(home);
    await expect(page.locator('#notes').textContent()).resolves.toContain('来电记录已全部填写');

    // English, for this agent.
    await Promise.all([page.waitForURL(/done=language/), page.click('[data-action=language]')]);
    await expect(page.locator('[data-action=duty-off]').textContent()).resolves.toBe('Go off duty (pause)');
    await fits('in English');
    await screenshot(page, 'agent-page-390-en');

    expect(problems).toEqual([]);
  });
});
