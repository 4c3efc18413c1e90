import nock from 'nock';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { afterCallOf, interceptAfterCallRest } from '../support/after-call';
import { HOTLINE, startHotline, type Hotline } from '../support/hotline-harness';
import { consoleBrowser, consoleOf, createAccount, fitsBothWidths, screenshot, signIn, watchProblems } from './console-browser';

const A = '+8613800000001';
const B = '+8613800000002';
// 10:00 on Monday 23 November 2026 in Shanghai.
const START = '2026-11-23T02:00:00Z';
const accepts = { does: 'accept', ringSeconds: 3, pressAfterSeconds: 1, talkSeconds: 40, hangsUpFirst: 'agent' } as const;

describe('the console in a real browser: complaint cases, the monthly evaluation, unfinished notes', () => {
  let h: Hotline;
  const ui = consoleBrowser();
  let agentA: string;
  const supervisor = { username: 'zhou', password: 'zhou-password-1' };
  const viewer = { username: 'li', password: 'li-password-1' };
  const callIds: Record<string, string> = {};

  beforeAll(async () => {
    h = await startHotline({}, START);
    interceptAfterCallRest(h);
    agentA = (await h.api.addAgent('张伟', A)).id;
    await h.api.addAgent('李娜', B);
    await consoleOf(h).accounts.create(supervisor.username, supervisor.password, 'supervisor', '周主管');
    await createAccount(h, viewer.username, 'viewer', viewer.password);
    // Four answered calls: two typed complaint (two cases), one left unwritten, one a consultation.
    for (const [key, from, agent] of [['first', '+8613911110001', A], ['second', '+8613911110002', A], ['unwritten', '+8613911110003', B], ['typed', '+8613911110004', A]] as const) {
      h.clock.advance(300);
      await h.twilio.placeCall({ from, to: HOTLINE, agents: { [agent]: accepts, [agent === A ? B : A]: accepts } });
      await afterCallOf(h).settled();
      callIds[key] = (await h.api.get('/api/calls')).body.calls[0].id;
    }
    // Typed five minutes apart: two cases, the first one's reply due five minutes earlier.
    for (const key of ['first', 'second'] as const) {
      expect((await h.api.patch(`/api/calls/${callIds[key]}`, { type: 'complaint' })).status).toBe(200);
      h.clock.advance(300);
    }
    expect((await h.api.patch(`/api/calls/${callIds.typed}`, { type: 'consultation' })).status).toBe(200);
    await ui.start(h);
    // Whole call flows on a busy machine: more than the default minute, only to catch a hang.
  }, 180_000);
  afterAll(async () => {
    await h?.close();
    nock.cleanAll();
  });

  const complaints = async (q = '') => (await h.api.get(`/api/complaints${q}`)).body.complaints as Record<string, any>[];
  const caseOf = async (callId: string) => (await complaints()).find((c) => c.callIds.includes(callId))!;

  /** At 390 px the page fits, and every action of it is inside the window. */
  it('shows each complaint with its reply clock counting down; a supervisor records a progress reply and closes a case with a resolution', async () => {
    const page = await signIn(ui.context, ui.base, supervisor);
    const watch = watchProblems(page);
    h.clock.advance(5 * 60);
    await page.goto(`${ui.base}/console/complaints`);
    const first = await caseOf(callIds.first!);
    const second = await caseOf(callIds.second!);
    const card = (id: string) => page.locator(`[data-complaint="${id}"]`);
    expect(await page.locator('[data-complaint]').count()).toBe(2);
    // Opened 15 and 10 minutes ago, 30 minutes to reply: the earlier deadline first.
    await expect(card(first.id).locator('[data-reply-clock]').textContent()).resolves.toBe('剩 15分');
    await expect(card(second.id).locator('[data-reply-clock]').textContent()).resolves.toBe('剩 20分');
    expect(await page.locator('[data-complaint]').first().getAttribute('data-complaint')).toBe(first.id);
    await screenshot(page, 'console-complaints');
    await fitsBothWidths(page, 'console-complaints');
    expect(watch.problems).toEqual([]);

    // A reply too short is refused, naming the field, and changes nothing.
    const [bad] = await Promise.all([
      page.waitForResponse((r) => r.request().method() === 'POST'),
      page.evaluate(`(() => { const f = document.querySelector('[data-complaint="${first.id}"] form[data-action=progress]'); f.querySelector('textarea').removeAttribute('minlength'); f.querySelector('textarea').value = 'ok'; f.submit(); })()`),
    ]);
    expect(bad.status()).toBe(400);
    await expect(page.locator('[role=alert]').textContent()).resolves.toContain('note: must say what the customer was told');
    expect((await caseOf(callIds.first!)).progress).toEqual([]);
    watch.problems.length = 0; // the 400 just asked for

    await page.goto(`${ui.base}/console/complaints`);
    await card(first.id).locator('textarea[name=note]').fill('已致电客户，维修人员明天上午上门');
    await card(first.id).locator('select[name=channel]').selectOption('call');
    await Promise.all([page.waitForURL(/replied=1/), card(first.id).locator('form[data-action=progress] button').click()]);
    await expect(card(first.id).locator('[data-progress]').textContent()).resolves.toContain('周主管');
    await expect(card(first.id).locator('[data-replied]').count()).resolves.toBe(1);
    expect(await caseOf(callIds.first!)).toMatchObject({ status: 'replied', late: false, progress: [{ note: '已致电客户，维修人员明天上午上门', channel: 'call', by: 'account:zhou' }] });

    // The second passes its deadline unanswered: late, shown first.
    h.clock.advance(25 * 60);
    await page.goto(`${ui.base}/console/complaints`);
    expect(await page.locator('[data-complaint]').first().getAttribute('data-complaint')).toBe(second.id);
    await expect(card(second.id).locator('[data-reply-clock]').textContent()).resolves.toBe('超时 5分');
    expect(await card(second.id).locator('.pill.late').count()).toBeGreaterThan(0);

    await card(second.id).locator('details summary').click();
    await card(second.id).locator('textarea[name=resolution]').fill('客户同意退款，已办理');
    await Promise.all([page.waitForURL(/closed=1/), card(second.id).locator('form[data-action=close] button').click()]);
    expect(await page.locator(`[data-complaint="${second.id}"]`).count()).toBe(0);
    expect(await caseOf(callIds.second!)).toMatchObject({ status: 'closed', resolution: '客户同意退款，已办理' });
    await page.click('[data-view=closed]');
    await expect(card(second.id).locator('[data-resolution]').textContent()).resolves.toContain('周主管');
    await fitsBothWidths(page, 'console-complaints-closed');
    // Closing twice is a conflict.
    await page.goto(`${ui.base}/console/complaints`);
    const csrf = await page.locator('input[name=_csrf]').first().getAttribute('value');
    const again = await page.request.post(`${ui.base}/console/complaints/${second.id}/close`, { form: { _csrf: csrf!, resolution: 'once more' } });
    expect(again.status()).toBe(409);
    const audit = await consoleOf(h).audit.recent({ target: second.id, limit: 5 });
    expect(audit[0]).toMatchObject({ actor: 'account:zhou', action: 'complaint.close' });
    expect(watch.problems).toEqual([]);
  });

  it('shows a viewer the cases with no forms, and refuses a forged reply', async () => {
    const page = await signIn(ui.context, ui.base, viewer);
    const watch = watchProblems(page);
    await page.goto(`${ui.base}/console/complaints?view=closed`);
    await page.goto(`${ui.base}/console/complaints`);
    expect(await page.locator('form[data-action]').count()).toBe(0);
    const open = (await complaints()).find((c) => c.status !== 'closed')!;
    const before = open.progress.length;
    const csrf = await page.locator('input[name=_csrf]').first().getAttribute('value');
    const res = await page.request.post(`${ui.base}/console/complaints/${open.id}/progress`, { form: { _csrf: csrf!, note: 'I am only a viewer', channel: 'sms' } });
    expect(res.status()).toBe(403);
    expect((await complaints()).find((c) => c.id === open.id)!.progress).toHaveLength(before);
    expect(watch.problems).toEqual([]);
  });

  it('shows the month’s grades, the parts that make each, the rule in force, and a drill-down per agent whose points add up to the score', async () => {
    const page = await signIn(ui.context, ui.base, supervisor);
    const watch = watchProblems(page);
    await page.goto(`${ui.base}/console/monthly?month=2026-11`);
    const api = (await h.api.get('/api/reports/monthly?month=2026-11')).body;
    expect(await page.locator('[data-incomplete]').count()).toBe(1);
    const row = page.locator(`tr[data-agent="${agentA}"]`);
    const mine = api.agents.find((a: { agentId: string }) => a.agentId === agentA);
    await expect(row.locator('[data-grade]').getAttribute('data-grade')).resolves.toBe(mine.grade ?? '');
    await expect(row.locator('[data-score]').getAttribute('data-score')).resolves.toBe(String(mine.score ?? ''));
    await expect(page.locator('[data-weight=accept]').textContent()).resolves.toBe('30');
    await expect(page.locator('[data-grade-rule]').textContent()).resolves.toContain('A ≥ 90');
    await screenshot(page, 'console-monthly');
    await fitsBothWidths(page, 'console-monthly');

    await Promise.all([page.waitForURL(new RegExp(`/console/monthly/${agentA}`)), row.locator('a').first().click()]);
    await expect(page.locator('[data-tile=score] .v').textContent()).resolves.toBe(String(mine.score));
    const points = await page.locator('[data-points]').evaluateAll((els) => els.map((e) => Number((e as unknown as { dataset: { points: string } }).dataset.points)));
    const sum = points.reduce((s, p) => s + p, 0);
    expect(Math.abs(Math.min(100, Math.max(0, sum)) - mine.score)).toBeLessThan(0.2);
    // The six parts of GRADE_PARTS (quality among them) and the fines.
    expect(await page.locator('tr[data-part]').count()).toBe(7);
    expect(await page.locator('tr[data-part=quality]').count()).toBe(1);
    await screenshot(page, 'console-monthly-agent');
    await fitsBothWidths(page, 'console-monthly-agent');
    const missing = await page.request.get(`${ui.base}/console/monthly/${'0'.repeat(8)}-0000-4000-8000-${'0'.repeat(12)}?month=2026-11`);
    expect(missing.status()).toBe(404);
    expect((await page.request.get(`${ui.base}/console/monthly?month=2026-13`)).status()).toBe(400);
    expect(watch.problems).toEqual([]);
  });

  it('lists the answered calls nobody has written up, and a supervisor writes one up in place', async () => {
    const page = await signIn(ui.context, ui.base, supervisor);
    const watch = watchProblems(page);
    await page.goto(`${ui.base}/console/notes`);
    const rows = page.locator('tr[data-call]');
    expect(await rows.evaluateAll((els) => els.map((e) => e.getAttribute('data-call')))).toEqual([callIds.unwritten]);
    await fitsBothWidths(page, 'console-notes');
    await screenshot(page, 'console-notes');
    const row = page.locator(`tr[data-call="${callIds.unwritten}"]`);
    await row.locator('select[name=type]').selectOption('repair');
    await row.locator('input[name=summary]').fill('楼道灯坏了，已派单');
    await Promise.all([page.waitForURL(/done=1/), row.locator('button').click()]);
    expect(await page.locator('tr[data-call]').count()).toBe(0);
    const call = (await h.api.get(`/api/calls/${callIds.unwritten}`)).body;
    expect(call).toMatchObject({ type: 'repair', summary: '楼道灯坏了，已派单' });
    expect((await h.api.get(`/api/calls/${callIds.unwritten}/notes-history`)).body.changes.at(-1)).toMatchObject({ changedBy: 'account:zhou' });
    // A write-up without a type is refused, and nothing changes.
    const csrf = await page.locator('input[name=_csrf]').first().getAttribute('value');
    const bad = await page.request.post(`${ui.base}/console/notes/${callIds.typed}`, { form: { _csrf: csrf!, type: '', summary: 'x' } });
    expect(bad.status()).toBe(400);
    expect((await h.api.get(`/api/calls/${callIds.typed}`)).body.type).toBe('consultation');
    expect((await page.request.get(`${ui.base}/console/notes?from=2026-02-31`)).status()).toBe(400);
    expect(watch.problems).toEqual([]);
  });
});
