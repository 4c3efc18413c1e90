import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHotline, type Hotline } from '../support/hotline-harness';
import { consoleBrowser, createAccount, fitsBothWidths, screenshot, signIn, watchProblems } from './console-browser';

// 10:00 on Monday 28 September 2026 in Shanghai: the week of 国庆 begins on Thursday.
const START = '2026-09-28T02:00:00Z';
const year2026 = readFileSync('docs/holidays/2026.json', 'utf8');

describe('the holidays page in a real browser', () => {
  let h: Hotline;
  const ui = consoleBrowser();
  const admin = { username: 'wang', password: 'wang-password-1' };
  const supervisor = { username: 'zhou', password: 'zhou-password-1' };

  beforeAll(async () => {
    h = await startHotline({}, START);
    await h.api.addAgent('张伟', '+8613800000001');
    await createAccount(h, admin.username, 'admin', admin.password);
    await createAccount(h, supervisor.username, 'supervisor', supervisor.password);
    await ui.start(h);
  }, 180_000);
  afterAll(async () => {
    await h?.close();
  });

  it('an admin pastes the 2026 file, adds a make-up day and removes one; the roster week shows the holiday; at 390 px every action is reachable', { timeout: 120_000 }, async () => {
    const page = await signIn(ui.context, ui.base, admin);
    const watch = watchProblems(page);
    await page.goto(`${ui.base}/console/holidays?year=2026`);
    await page.locator('textarea[name=json]').fill(year2026);
    await Promise.all([page.waitForURL(/done=1/), page.locator('form[action="/console/holidays/paste"] button').click()]);
    expect(await page.locator('[data-date]').count()).toBe(39);
    await fitsBothWidths(page, 'console-holidays');

    const add = page.locator('form[action="/console/holidays/day"]');
    await add.locator('input[name=date]').fill('2026-12-26');
    await add.locator('select[name=kind]').selectOption('workday');
    await add.locator('input[name=name]').fill('演练调休');
    await add.locator('select[name=worksAs]').selectOption('friday');
    await Promise.all([page.waitForURL(/done=1/), add.locator('button').click()]);
    await expect(page.locator('[data-date="2026-12-26"]').textContent()).resolves.toContain('按周五排班');
    await Promise.all([page.waitForURL(/done=1/), page.locator('[data-date="2026-12-26"] button').click()]);
    expect(await page.locator('[data-date="2026-12-26"]').count()).toBe(0);
    expect((await h.api.get('/api/holidays?year=2026')).body.days).toHaveLength(39);
    await screenshot(page, 'console-holidays');

    await page.goto(`${ui.base}/console/roster?week=2026-09-28`);
    expect(await page.locator('.day.holiday[data-day="2026-10-01"] [data-holiday]').textContent()).toBe('国庆节');
    await fitsBothWidths(page, 'console-roster-holiday');
    expect(watch.problems).toEqual([]);
  });

  it('a supervisor reads the year but is offered no change', { timeout: 60_000 }, async () => {
    const page = await signIn(ui.context, ui.base, supervisor);
    const watch = watchProblems(page);
    await page.goto(`${ui.base}/console/holidays?year=2026`);
    expect(await page.locator('[data-read-only]').count()).toBe(1);
    expect(await page.locator('main form').count()).toBe(0);
    await page.click('text=下一年');
    await expect(page.locator('[data-empty]').count()).resolves.toBe(1);
    await fitsBothWidths(page, 'console-holidays-read');
    expect(watch.problems).toEqual([]);
  });
});
