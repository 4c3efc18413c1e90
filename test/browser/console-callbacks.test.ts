import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CallbackFeature } from '../../src/callbacks/callback-feature';
import { ACCOUNT_SID, HOTLINE, startHotline, TWILIO_API, type Hotline } from '../support/hotline-harness';
import { interceptTwilioRest } from '../support/outbound-call';
import { consoleBrowser, consoleOf as consoleFeature, createAccount, DESKTOP, fitsWidth, PHONE, screenshot, signIn } from './console-browser';

const A = '+8613800000001';
const B = '+8613800000002';
// 10:00 on Monday 23 November 2026 in Shanghai: the callbacks' day window.
const START = '2026-11-23T02:00:00Z';
const MIN = 60_000;

describe('the console in a real browser: callbacks, fines, the roster, reports, API tokens', () => {
  let h: Hotline;
  const ui = consoleBrowser();
  let agentB: string;
  const supervisor = { username: 'zhou', password: 'zhou-password-1' };
  const viewer = { username: 'li', password: 'li-password-1' };
  const admin = { username: 'wang', password: 'wang-password-1' };

  beforeAll(async () => {
    h = await startHotline({}, START);
    await h.api.addAgent('张伟', A);
    agentB = (await h.api.addAgent('李娜', B)).id;
    await createAccount(h, supervisor.username, 'supervisor', supervisor.password);
    await createAccount(h, viewer.username, 'viewer', viewer.password);
    await createAccount(h, admin.username, 'admin', admin.password);
    // Answered and rated calls over the morning, then three callers nobody answered.
    for (const [i, from, score] of [[0, '+8613911110001', '5'], [1, '+8613911110002', '4'], [2, '+8613911110003', '2']] as const) {
      h.clock.advance(300);
      await h.twilio.placeCall({
        from,
        to: HOTLINE,
        agents: { [i === 1 ? B : A]: { does: 'accept', ringSeconds: 3 + i * 3, talkSeconds: 60, hangsUpFirst: 'agent' }, [A]: { does: 'accept', ringSeconds: 3, talkSeconds: 60, hangsUpFirst: 'agent' } },
        onGather: () => ({ digits: score }),
      });
    }
    for (const from of ['+8613911110011', '+8613911110012', '+8613911110013']) {
      h.clock.advance(300);
      await h.twilio.placeCall({ from, to: HOTLINE });
    }
    const callbacks = h.container.features.find((f) => f.name === 'callbacks') as CallbackFeature;
    const due = (await h.api.get('/api/callbacks')).body.callbacks as { dueAt: string; phone: string }[];
    // The first two run past their deadline: two fines. The third stays open, on time.
    const late = due.filter((c) => c.phone !== '+8613911110013').map((c) => new Date(c.dueAt).getTime());
    h.clock.set(new Date(Math.max(...late) + MIN));
    await callbacks.scheduler.runDue(h.clock.now());
    await ui.start(h);
  });
  afterAll(async () => {
    await h?.close();
  });

  const fines = async () => (await h.api.get('/api/fines?month=2026-11')).body.agents.flatMap((a: { fines: unknown[] }) => a.fines) as { id: string; waived: boolean; waivedBy: string | null; amount: number }[];

  it('shows a viewer the fines ledger with no way to waive, and refuses a forged waiver', async () => {
    const page = await signIn(ui.context, ui.base, viewer);
    await page.goto(`${ui.base}/console/fines?month=2026-11`);
    expect(await page.locator('tr[data-fine]').count()).toBe(2);
    expect(await page.locator('form[action$="/waive"]').count()).toBe(0);
    const [fine] = await fines();
    const csrf = await page.locator('input[name=_csrf]').first().getAttribute('value');
    const res = await page.request.post(`${ui.base}/console/fines/${fine!.id}/waive`, { form: { _csrf: csrf!, reason: 'I am only a viewer' } });
    expect(res.status()).toBe(403);
    expect((await fines()).every((f) => !f.waived)).toBe(true);
  });

  it('lets a supervisor waive a fine with a reason, and the ledger names who waived it', async () => {
    const page = await signIn(ui.context, ui.base, supervisor);
    await page.goto(`${ui.base}/console/fines?month=2026-11`);
    const row = page.locator('tr[data-fine]').first();
    const id = await row.getAttribute('data-fine');
    // A waiver without a reason is refused by the form; one forged without the CSRF token by the server.
    const forged = await page.request.post(`${ui.base}/console/fines/${id}/waive`, { form: { reason: 'no token' } });
    expect(forged.status()).toBe(403);
    await row.locator('input[name=reason]').fill('病假已批准');
    await Promise.all([page.waitForURL(/waived=1/), row.locator('button[type=submit]').click()]);
    const waived = page.locator(`tr[data-fine="${id}"] [data-waived-by]`);
    await expect(waived.getAttribute('data-waived-by')).resolves.toBe('account:zhou');
    await expect(waived.textContent()).resolves.toContain('病假已批准');
    expect((await fines()).find((f) => f.id === id)).toMatchObject({ waived: true, waivedBy: 'account:zhou' });
    await screenshot(page, 'console-fines');
    await page.setViewportSize(PHONE);
    expect(await fitsWidth(page)).toBe(true);
    await screenshot(page, 'console-fines-390');

    // Through the API with the shared ADMIN_TOKEN, the waiver names that token.
    const other = (await fines()).find((f) => !f.waived)!;
    const res = await h.api.post(`/api/fines/${other.id}/waive`, { reason: 'roster was wrong' });
    expect(res.body.waivedBy).toBe('admin-token');
  });

  it('lists open callbacks late first, hands one over to another agent and places it', async () => {
    const page = await signIn(ui.context, ui.base, supervisor);
    await page.goto(`${ui.base}/console/callbacks`);
    const rows = page.locator('tr[data-callback]');
    expect(await rows.count()).toBe(3);
    // Late ones come first.
    expect(await rows.nth(0).locator('.pill.late').count()).toBe(1);
    expect(await rows.nth(1).locator('.pill.late').count()).toBe(1);
    expect(await rows.nth(2).locator('.pill.late').count()).toBe(0);
    const id = (await rows.nth(2).getAttribute('data-callback'))!;
    await rows.nth(2).locator('select[name=ownerAgentId]').selectOption(agentB);
    await Promise.all([page.waitForURL(/handedOver=/), rows.nth(2).locator('form[action$="/hand-over"] button').click()]);
    await expect(page.locator('[role=status]').textContent()).resolves.toBe('已转交给 李娜');
    await expect(page.locator(`tr[data-callback="${id}"] [data-owner]`).textContent()).resolves.toBe('李娜');
    expect((await h.api.get(`/api/callbacks/${id}`)).body.ownerAgentId).toBe(agentB);
    const audit = await consoleFeature(h).audit.recent({ target: id, limit: 5 });
    expect(audit[0]).toMatchObject({ actor: 'account:zhou', action: 'callback.hand-over' });

    // Placing it calls the owner's phone first, through Twilio's REST API.
    const rest = interceptTwilioRest(TWILIO_API, ACCOUNT_SID);
    await Promise.all([page.waitForURL(/placed=1/), page.locator(`tr[data-callback="${id}"] form[action$="/dial"] button`).click()]);
    await expect(page.locator('[role=status]').textContent()).resolves.toBe('正在呼叫负责人的电话');
    expect(rest.calls.map((c) => c.params.get('To'))).toEqual([B]);
    const dialled = await consoleFeature(h).audit.recent({ target: id, limit: 5 });
    expect(dialled[0]).toMatchObject({ actor: 'account:zhou', action: 'callback.dial' });
    expect((await h.api.get(`/api/callbacks/${id}`)).body.attempts).toEqual([expect.objectContaining({ placedVia: 'console' })]);
    // A second press while the owner's phone rings is a conflict, and places nothing.
    await page.goto(`${ui.base}/console/callbacks`);
    const [again] = await Promise.all([page.waitForResponse((r) => r.request().method() === 'POST'), page.locator(`tr[data-callback="${id}"] form[action$="/dial"] button`).click()]);
    expect(again.status()).toBe(409);
    expect(rest.calls).toHaveLength(1);

    await page.goto(`${ui.base}/console/callbacks`);
    await screenshot(page, 'console-callbacks');
    await page.setViewportSize(PHONE);
    expect(await fitsWidth(page)).toBe(true);
    await screenshot(page, 'console-callbacks-390');
  });

  it('adds an agent, pauses them with a reason and resumes them', async () => {
    const page = await signIn(ui.context, ui.base, supervisor);
    await page.goto(`${ui.base}/console/agents`);
    await page.fill('form.stack input[name=name]', '王芳');
    await page.fill('form.stack input[name=phone]', 'not a phone');
    const [bad] = await Promise.all([page.waitForResponse((r) => r.request().method() === 'POST'), page.click('form.stack button[type=submit]')]);
    expect(bad.status()).toBe(400);
    await expect(page.locator('[role=alert]').textContent()).resolves.toContain('phone: must be an E.164 number');
    await page.goto(`${ui.base}/console/agents`);
    await page.fill('form.stack input[name=name]', '王芳');
    await page.fill('form.stack input[name=phone]', '+8613800000003');
    await Promise.all([page.waitForURL(/done=1/), page.click('form.stack button[type=submit]')]);
    const row = page.locator('tr[data-agent]', { hasText: '王芳' });
    await row.locator('input[name=reason]').fill('午休');
    await Promise.all([page.waitForURL(/done=1/), row.locator('form[action$="/state"] button', { hasText: '暂停' }).click()]);
    await expect(page.locator('tr[data-agent]', { hasText: '王芳' }).textContent()).resolves.toContain('午休');
    const agents = (await h.api.get('/api/agents')).body.agents as { name: string; paused: boolean }[];
    expect(agents.find((a) => a.name === '王芳')).toMatchObject({ paused: true });
    await screenshot(page, 'console-agents');
    await page.setViewportSize(PHONE);
    expect(await fitsWidth(page)).toBe(true);
    await screenshot(page, 'console-agents-390');
    await page.setViewportSize(DESKTOP);
    await Promise.all([page.waitForURL(/done=1/), page.locator('tr[data-agent]', { hasText: '王芳' }).locator('button', { hasText: '恢复' }).click()]);
    expect(((await h.api.get('/api/agents')).body.agents as { name: string; paused: boolean }[]).find((a) => a.name === '王芳')).toMatchObject({ paused: false });
  });

  it('draws the weekly charts with data, and offers the CSV and the print page', async () => {
    const page = await signIn(ui.context, ui.base, admin);
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(`${ui.base}/console/reports?week=2026-W48`);
    for (const chart of ['byDay', 'heatmap', 'perAgent', 'ratings']) {
      await page.waitForSelector(`[data-chart=${chart}][data-rendered=true] canvas`);
    }
    await expect(page.locator('[data-tile=offered]').getAttribute('data-value')).resolves.toBe('6');
    const options = JSON.parse((await page.locator('#chart-data').textContent())!);
    expect(options.ratings.series[0].data).toEqual([0, 1, 0, 1, 1]);
    expect(errors).toEqual([]);
    expect(options.heatmap.series[0].data).toContainEqual([10, 0, 6]);
    await screenshot(page, 'console-reports');
    await page.setViewportSize(PHONE);
    // The charts follow the window's resize event.
    await expect.poll(() => fitsWidth(page)).toBe(true);
    await screenshot(page, 'console-reports-390');

    const csv = await page.request.get(`${ui.base}/console/reports/weekly.csv?week=2026-W48`);
    expect(csv.headers()['content-type']).toContain('text/csv');
    const text = await csv.text();
    expect(text).toContain('2026-11-23,6,3,3,0');
    expect(text).toContain('张伟');
    const print = await page.request.get(`${ui.base}/console/reports/print?week=2026-W48`);
    expect(await print.text()).toContain('class="print"');
    const bad = await page.request.get(`${ui.base}/console/reports?week=2026-W99`);
    expect(bad.status()).toBe(400);
  });

  it('creates a personal API token shown once; the API names its account in the audit; a viewer holds none', async () => {
    const page = await signIn(ui.context, ui.base, supervisor);
    await page.goto(`${ui.base}/console/tokens`);
    await page.fill('input[name=name]', '周报脚本');
    await page.click('form.inline button[type=submit]');
    const token = (await page.locator('[data-new-token]').textContent())!.trim();
    expect(token).toMatch(/^tr_/);
    await screenshot(page, 'console-tokens');

    const calls = await request(h.app).get('/api/calls?outcome=answered').set('Authorization', `Bearer ${token}`);
    expect(calls.status).toBe(200);
    const id = calls.body.calls[0].id;
    const patched = await request(h.app).patch(`/api/calls/${id}`).set('Authorization', `Bearer ${token}`).send({ type: 'repair' });
    expect(patched.status).toBe(200);
    const history = (await h.api.get(`/api/calls/${id}/notes-history`)).body.changes;
    expect(history.at(-1)).toMatchObject({ field: 'type', newValue: 'repair', changedBy: 'account:zhou' });

    await page.goto(`${ui.base}/console/tokens`);
    await Promise.all([page.waitForURL(/\/console\/tokens$/), page.locator('form[action$="/revoke"] button').first().click()]);
    expect((await request(h.app).get('/api/calls').set('Authorization', `Bearer ${token}`)).status).toBe(401);

    const other = await ui.browser.newContext({ viewport: DESKTOP });
    const viewerPage = await signIn(other, ui.base, viewer);
    await viewerPage.goto(`${ui.base}/console/tokens`);
    expect(await viewerPage.locator('input[name=name]').count()).toBe(0);
    const csrf = await viewerPage.locator('input[name=_csrf]').first().getAttribute('value');
    expect((await viewerPage.request.post(`${ui.base}/console/tokens`, { form: { _csrf: csrf!, name: 'x' } })).status()).toBe(403);
    await other.close();
  });

  it('works at 390 px wide on every page, in Mandarin and in English', async () => {
    const phone = await ui.browser.newContext({ viewport: PHONE, locale: 'zh-CN' });
    try {
      const page = await signIn(phone, ui.base, admin);
      for (const path of ['/console/', '/console/calls', '/console/callbacks', '/console/fines?month=2026-11', '/console/agents', '/console/reports?week=2026-W48', '/console/tokens', '/console/accounts']) {
        await page.goto(`${ui.base}${path}`);
        expect(await fitsWidth(page), path).toBe(true);
        const shot = { '/console/calls': 'console-calls-390', '/console/tokens': 'console-tokens-390', '/console/accounts': 'console-accounts-390' }[path];
        if (shot) await screenshot(page, shot);
      }
      await page.setViewportSize(DESKTOP);
      await page.reload();
      await screenshot(page, 'console-accounts');
      await page.setViewportSize(PHONE);
      await page.click('text=English');
      await page.waitForURL(/\/console\/accounts$/);
      await expect(page.locator('h1').textContent()).resolves.toBe('Accounts');
      await page.goto(`${ui.base}/console/`);
      await expect(page.locator('[data-tile=answerRate] .k').textContent()).resolves.toBe('Answer rate');
    } finally {
      await phone.close();
    }
  });
});
