import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NOTES_LINK_PURPOSE } from '../../src/after-call/notes-link';
import { signLink } from '../../src/domain/signed-link';
import type { TicketFeature } from '../../src/tickets/ticket-feature';
import { ACCOUNT_SID, HOTLINE, PUBLIC_BASE_URL, startHotline, TWILIO_API, type Hotline } from '../support/hotline-harness';
import { interceptTwilioRest, type RestCapture } from '../support/outbound-call';
import { consoleBrowser, consoleOf, createAccount, fitsPhone, fitsWidth, PHONE, screenshot, signIn, watchProblems } from './console-browser';

const A = '+8613800000001';
const B = '+8613800000002';
const CALLER = '+8613911110001';
const OTHER = '+8613911110002';
const THIRD = '+8613911110003';
// 10:00 on Monday 23 November 2026 in Shanghai.
const START = '2026-11-23T02:00:00Z';
const HOUR = 3600_000;

type TicketJson = { id: string; kind: string; status: string; ownerAgentId: string | null; dueAt: string; late: boolean; history: { event: string; by: string; note: string | null }[]; resolution: string | null; faultClass: string | null; callIds: string[] };

describe('tickets (工单) in a real browser: the list and its filters, a ticket’s page, dispatches, the agent’s follow-up', { timeout: 180_000 }, () => {
  let h: Hotline;
  const ui = consoleBrowser();
  let agentA: string;
  let agentB: string;
  let rest: RestCapture;
  const calls: Record<string, string> = {};
  const ids: Record<'late' | 'onTime' | 'dispatch' | 'complaint', string> = { late: '', onTime: '', dispatch: '', complaint: '' };
  const supervisor = { username: 'zhou', password: 'zhou-password-1' };
  const viewer = { username: 'li', password: 'li-password-1' };
  const ticket = async (id: string) => (await h.api.get(`/api/tickets/${id}`)).body as TicketJson;
  const at = (ms: number) => new Date(h.clock.now().getTime() + ms).toISOString();

  beforeAll(async () => {
    h = await startHotline({}, START);
    rest = interceptTwilioRest(TWILIO_API, ACCOUNT_SID);
    agentA = (await h.api.addAgent('张伟', A)).id;
    agentB = (await h.api.addAgent('李娜', B)).id;
    await consoleOf(h).accounts.create(supervisor.username, supervisor.password, 'supervisor', '周主管');
    await createAccount(h, viewer.username, 'viewer', viewer.password);
    // Three answered calls: A takes the first and third, B the second.
    for (const [from, agent] of [[CALLER, A], [OTHER, B], [THIRD, A]] as const) {
      h.clock.advance(300);
      await h.twilio.placeCall({ from, to: HOTLINE, agents: { [agent]: { does: 'accept', ringSeconds: 3, talkSeconds: 60, hangsUpFirst: 'agent' } } });
      calls[from] = ((await h.api.get(`/api/calls?caller=${encodeURIComponent(from)}`)).body.calls as { id: string }[])[0]!.id;
    }
    const open = async (body: object) => {
      const res = await h.api.post('/api/tickets', body);
      expect(res.status, JSON.stringify(res.body)).toBe(201);
      return res.body.id as string;
    };
    // A follow-up A promised within the half hour, which runs late; another of B's, due tomorrow.
    ids.late = await open({ kind: 'follow-up', callId: calls[CALLER], dueAt: at(30 * 60_000), summary: '查询退款进度后回复' });
    ids.onTime = await open({ kind: 'follow-up', callId: calls[OTHER], dueAt: at(24 * HOUR), summary: '确认维修上门时间' });
    ids.dispatch = await open({ kind: 'dispatch', callId: calls[OTHER], ownerAgentId: agentB, assignee: { name: '城东营业部', mobile: '+8613700000007' }, summary: '燃气表更换，请营业部安排' });
    ids.complaint = await open({ kind: 'complaint', callId: calls[CALLER], summary: '客户投诉抄表员态度' });
    h.clock.advance(3600);
    await ui.start(h);
  }, 180_000);
  afterAll(async () => {
    await h?.close();
  });

  it('lists tickets late first with their due time and time left, and filters by kind, owner and late', async () => {
    const page = await signIn(ui.context, ui.base, supervisor);
    const watch = watchProblems(page);
    await Promise.all([page.waitForURL(/\/console\/tickets$/), page.click('nav a[href="/console/tickets"]')]);
    const rows = page.locator('tr[data-ticket]');
    expect(await rows.count()).toBe(4);
    // The late ones first (the follow-up past its time, the complaint past its 30-minute reply clock), flagged.
    const late = (await ticket(ids.late)).late;
    expect(late).toBe(true);
    expect(await rows.nth(0).getAttribute('data-late')).not.toBeNull();
    expect(await page.locator(`tr[data-ticket="${ids.late}"] [data-due] .pill.late`).count()).toBe(1);
    await expect(page.locator(`tr[data-ticket="${ids.late}"] [data-time-left]`).textContent()).resolves.toMatch(/^超时 /);
    await expect(page.locator(`tr[data-ticket="${ids.onTime}"] [data-time-left]`).textContent()).resolves.toMatch(/^剩 /);
    expect(await page.locator(`tr[data-ticket="${ids.onTime}"] .pill.late`).count()).toBe(0);
    await screenshot(page, 'console-tickets');
    await fitsPhone(page, 'console-tickets');

    // By kind.
    await page.selectOption('[data-filters] select[name=kind]', 'dispatch');
    await Promise.all([page.waitForURL(/kind=dispatch/), page.click('[data-filters] button[type=submit]')]);
    expect(await rows.evaluateAll((els) => els.map((e) => (e as unknown as { dataset: { ticket: string } }).dataset.ticket))).toEqual([ids.dispatch]);
    // By owner (B: the on-time follow-up and the dispatch).
    await page.selectOption('[data-filters] select[name=kind]', '');
    await page.selectOption('[data-filters] select[name=owner]', agentB);
    await Promise.all([page.waitForURL(/owner=/), page.click('[data-filters] button[type=submit]')]);
    expect((await rows.evaluateAll((els) => els.map((e) => (e as unknown as { dataset: { ticket: string } }).dataset.ticket))).sort()).toEqual([ids.onTime, ids.dispatch].sort());
    // Late only: none of B's.
    await page.check('[data-filters] input[name=late]');
    await Promise.all([page.waitForURL(/late=1/), page.click('[data-filters] button[type=submit]')]);
    expect(await rows.count()).toBe(0);
    await page.goto(`${ui.base}/console/tickets?late=1`);
    const lateIds = await rows.evaluateAll((els) => els.map((e) => (e as unknown as { dataset: { ticket: string } }).dataset.ticket));
    expect(lateIds).toContain(ids.late);
    expect(lateIds).not.toContain(ids.onTime);
    // In English, the same list.
    await page.goto(`${ui.base}/console/lang?to=en`);
    await page.goto(`${ui.base}/console/tickets`);
    await expect(page.locator('h1').textContent()).resolves.toBe('Tickets');
    await expect(page.locator(`tr[data-ticket="${ids.onTime}"] [data-time-left]`).textContent()).resolves.toMatch(/ left$/);
    await page.goto(`${ui.base}/console/lang?to=zh`);
    expect(watch.problems).toEqual([]);
    expect((await page.request.get(`${ui.base}/console/tickets?kind=nonsense`)).status()).toBe(400);
  });

  it('records progress on a ticket, closes a complaint with its fault class, and shows who did what', async () => {
    const page = await signIn(ui.context, ui.base, supervisor);
    const watch = watchProblems(page);
    await page.goto(`${ui.base}/console/tickets`);
    await Promise.all([page.waitForURL(new RegExp(`/console/tickets/${ids.late}$`)), page.click(`tr[data-ticket="${ids.late}"] a`)]);
    await screenshot(page, 'console-ticket');
    await fitsPhone(page, 'console-ticket');
    // Its call, linked to the call's page.
    await expect(page.locator('[data-calls] a[data-call-link]').first().getAttribute('href')).resolves.toBe(`/console/calls/${calls[CALLER]}`);
    await page.fill('form[data-action=progress] textarea[name=note]', '已联系财务，退款预计三天到账');
    await page.selectOption('form[data-action=progress] select[name=channel]', 'sms');
    await Promise.all([page.waitForURL(/progress=1/), page.click('form[data-action=progress] button[type=submit]')]);
    await expect(page.locator('li[data-event=progress]').textContent()).resolves.toContain('周主管');
    await expect(page.locator('li[data-event=progress]').textContent()).resolves.toContain('已联系财务');
    expect((await ticket(ids.late)).status).toBe('in-progress');
    await page.click('form[data-action=close] >> xpath=ancestor::details/summary');
    await page.fill('form[data-action=close] textarea[name=resolution]', '退款已到账，客户确认');
    await Promise.all([page.waitForURL(/closed=1/), page.click('form[data-action=close] button[type=submit]')]);
    await expect(page.locator('[data-resolution]').textContent()).resolves.toContain('退款已到账');
    expect(await page.locator('form[data-action=progress]').count()).toBe(0);
    expect((await ticket(ids.late)).status).toBe('closed');

    // A complaint is closed with its fault class.
    await page.goto(`${ui.base}/console/tickets/${ids.complaint}`);
    await page.click('form[data-action=close] >> xpath=ancestor::details/summary');
    await page.fill('form[data-action=close] textarea[name=resolution]', '已向客户道歉并批评教育抄表员');
    await page.selectOption('form[data-action=close] select[name=faultClass]', 'company');
    await Promise.all([page.waitForURL(/closed=1/), page.click('form[data-action=close] button[type=submit]')]);
    await expect(page.locator('[data-fault-class]').getAttribute('data-fault-class')).resolves.toBe('company');
    expect(await ticket(ids.complaint)).toMatchObject({ status: 'closed', faultClass: 'company' });
    await fitsPhone(page, 'console-ticket-closed');

    // Closing again (a stale form) is a 409 that changes nothing; a forged form without its token a 403.
    const csrf = (await page.locator('input[name=_csrf]').first().getAttribute('value'))!;
    expect((await page.request.post(`${ui.base}/console/tickets/${ids.late}/close`, { form: { _csrf: csrf, resolution: '再次办结' } })).status()).toBe(409);
    expect((await page.request.post(`${ui.base}/console/tickets/${ids.onTime}/progress`, { form: { note: '没有令牌', channel: 'call' } })).status()).toBe(403);
    expect((await ticket(ids.late)).resolution).toBe('退款已到账，客户确认');
    expect((await ticket(ids.onTime)).history.filter((e) => e.event === 'progress')).toEqual([]);
    expect(watch.problems).toEqual([]);
  });

  it('shows a viewer no forms and refuses their forged progress', async () => {
    const page = await signIn(ui.context, ui.base, viewer);
    const watch = watchProblems(page);
    await page.goto(`${ui.base}/console/tickets/${ids.onTime}`);
    expect(await page.locator('form[data-action]').count()).toBe(0);
    const csrf = (await page.locator('input[name=_csrf]').first().getAttribute('value'))!;
    expect((await page.request.post(`${ui.base}/console/tickets/${ids.onTime}/progress`, { form: { _csrf: csrf, note: '只读账号', channel: 'call' } })).status()).toBe(403);
    expect((await ticket(ids.onTime)).status).toBe('open');
    expect(watch.problems).toEqual([]);
  });

  it('lists open dispatches with their last and next weekly follow-up, and opens a ticket from a call’s page', async () => {
    // The desk's sweep hands the dispatch to its assignee (by SMS): the first follow-up; the next is a week on.
    await (h.container.features.find((f) => f.name === 'tickets') as TicketFeature).desk.runDue(h.clock.now());
    expect(rest.sms.map((m) => m.To)).toContain('+8613700000007');
    const page = await signIn(ui.context, ui.base, supervisor);
    const watch = watchProblems(page);
    await page.goto(`${ui.base}/console/tickets`);
    await Promise.all([page.waitForURL(/\/dispatches$/), page.click('[data-view=dispatches]')]);
    const row = page.locator(`tr[data-dispatch="${ids.dispatch}"]`);
    expect(await page.locator('tr[data-dispatch]').count()).toBe(1);
    await expect(row.textContent()).resolves.toContain('城东营业部');
    await expect(row.locator('[data-last-follow-up]').textContent()).resolves.toMatch(/^11-23 \d\d:\d\d$/);
    await expect(row.locator('[data-next-follow-up]').textContent()).resolves.toMatch(/^11-30 \d\d:\d\d 剩 7天$/);
    await fitsPhone(page, 'console-ticket-dispatches');

    // The weekly summary counts the week's tickets per owner and kind: B's follow-up and dispatch, both still open.
    await page.goto(`${ui.base}/console/reports?week=2026-W48`);
    const cells = async (key: string) => page.locator(`tr[data-ticket-figure="${key}"] td`).allTextContents();
    expect(await cells(`${agentB}:follow-up`)).toEqual(['李娜', '回复客户', '1', '0', '0', '1', '—']);
    expect(await cells(`${agentB}:dispatch`)).toEqual(['李娜', '转办', '1', '0', '0', '1', '—']);
    // A's follow-up was closed after its due time: late.
    expect(await cells(`${agentA}:follow-up`)).toEqual(['张伟', '回复客户', '1', '0', '1', '0', '0.0%']);

    // From the third call's page: a follow-up for its caller, owned by the agent who answered.
    await page.goto(`${ui.base}/console/calls/${calls[THIRD]}`);
    await page.click('[data-open-ticket] summary');
    await page.fill('[data-open-ticket] textarea[name=summary]', '客户询问阶梯气价，核实后回复');
    await page.fill('[data-open-ticket] input[name=dueDate]', '2026-11-24');
    await page.fill('[data-open-ticket] input[name=dueTime]', '15:00');
    await Promise.all([page.waitForURL(/\/console\/tickets\/[0-9a-f-]+\?opened=1$/), page.click('[data-open-ticket] button[type=submit]')]);
    const id = new URL(page.url()).pathname.split('/').at(-1)!;
    expect(await ticket(id)).toMatchObject({ kind: 'follow-up', status: 'open', ownerAgentId: agentA, dueAt: '2026-11-24T07:00:00.000Z', callIds: [calls[THIRD]] });
    // The call's page and the customer file show it among the caller's open tickets.
    await page.goto(`${ui.base}/console/calls/${calls[THIRD]}`);
    expect(await page.locator(`[data-open-tickets] li[data-ticket="${id}"]`).count()).toBe(1);
    await page.goto(`${ui.base}/console/customers?q=${encodeURIComponent(THIRD)}`);
    await Promise.all([page.waitForURL(/\/console\/customers\/[0-9a-f-]+$/), page.click('li[data-customer] a')]);
    await expect(page.locator(`[data-open-tickets] li[data-ticket="${id}"]`).textContent()).resolves.toContain('回复客户 · 客户询问阶梯气价');
    await fitsPhone(page, 'console-customer-tickets');
    expect(watch.problems).toEqual([]);
  });

  it('lets the agent promise a call back from the call’s notes page, and lists it on their page with its due time', async () => {
    // The agent's phone: a context of its own at 390 px (the supervisor's desk below is the test's own).
    const phone = await ui.browser.newContext({ viewport: PHONE, locale: 'zh-CN' });
    phone.setDefaultTimeout(10_000);
    const page = await phone.newPage();
    const watch = watchProblems(page);
    // A fresh call B answers: the notes page's follow-up form opens a ticket B owns on it.
    const FOURTH = '+8613911110004';
    await h.twilio.placeCall({ from: FOURTH, to: HOTLINE, agents: { [B]: { does: 'accept', ringSeconds: 3, talkSeconds: 60, hangsUpFirst: 'agent' } } });
    const callId = ((await h.api.get(`/api/calls?caller=${encodeURIComponent(FOURTH)}`)).body.calls as { id: string }[])[0]!.id;
    const token = signLink(h.config.LINK_SECRET, { purpose: NOTES_LINK_PURPOSE, subject: callId, agentId: agentB, expiresAt: new Date(h.clock.now().getTime() + HOUR) });
    await page.goto(`${ui.base}/m/calls/${token}`);
    const form = page.locator('form[data-action=follow-up]');
    await form.locator('textarea[name=summary]').fill('查询燃气费账单明细后回电');
    await form.locator('input[name=dueAt]').fill('2026-11-24T10:30');
    await Promise.all([page.waitForURL(/done=follow-up/), form.locator('button[type=submit]').click()]);
    await expect(page.locator('.note').textContent()).resolves.toContain('已登记回复工单');
    expect(await fitsWidth(page)).toBe(true);
    const opened = ((await h.api.get(`/api/tickets?owner=${agentB}&kind=follow-up`)).body.tickets as TicketJson[]).filter((x) => x.callIds.includes(callId));
    expect(opened).toEqual([expect.objectContaining({ status: 'open', ownerAgentId: agentB, dueAt: '2026-11-24T02:30:00.000Z' })]);
    expect(opened[0]!.history[0]).toMatchObject({ event: 'opened', by: `agent:${agentB}` });
    // Tapped twice (the form sent again): still one ticket.
    await page.goBack();
    await page.goto(`${ui.base}/m/calls/${token}`);
    await page.locator('form[data-action=follow-up] textarea[name=summary]').fill('查询燃气费账单明细后回电');
    await Promise.all([page.waitForURL(/done=follow-up/), page.locator('form[data-action=follow-up] button[type=submit]').click()]);
    expect(((await h.api.get(`/api/tickets?owner=${agentB}&kind=follow-up`)).body.tickets as TicketJson[]).filter((x) => x.callIds.includes(callId))).toHaveLength(1);

    const link = (await h.api.get(`/api/agents/${agentB}/page-link`)).body.url as string;
    await page.goto(`${ui.base}${link.slice(PUBLIC_BASE_URL.length)}`);
    const items = page.locator('#tickets li[data-ticket]');
    // B's open tickets: the follow-up due tomorrow, the one just promised, the dispatch; soonest first.
    expect(await items.count()).toBe(3);
    await expect(page.locator(`#tickets li[data-ticket="${opened[0]!.id}"] [data-due]`).textContent()).resolves.toBe('11-24 10:30 到期');
    // Called back through the hotline from the page: B's phone rings first.
    const placed = rest.calls.length;
    await Promise.all([page.waitForURL(/done=dialled/), page.click(`#tickets li[data-ticket="${opened[0]!.id}"] [data-action=ticket-dial]`)]);
    expect(rest.calls.slice(placed).map((c) => c.params.get('To'))).toEqual([B]);
    expect((await ticket(opened[0]!.id)).history.map((e) => e.event)).toContain('dialled');
    // Another agent's ticket cannot be dialled from B's page.
    const refused = await page.request.post(`${page.url().split('?')[0]}/tickets/${ids.complaint}/dial`, { form: {} });
    expect(refused.status()).toBe(404);
    // On the console, the history names the agent who promised it, and the hotline's call back.
    const desk = await signIn(ui.context, ui.base, supervisor);
    const deskWatch = watchProblems(desk);
    await desk.goto(`${ui.base}/console/tickets/${opened[0]!.id}`);
    await expect(desk.locator('li[data-event=opened] [data-by]').textContent()).resolves.toBe('李娜');
    await expect(desk.locator('li[data-event=dialled] [data-by]').textContent()).resolves.toBe('系统');
    expect(deskWatch.problems).toEqual([]);
    expect(await fitsWidth(page)).toBe(true);
    await screenshot(page, 'agent-page-tickets-390');
    expect(watch.problems).toEqual([]);
    await phone.close();
  });
});
