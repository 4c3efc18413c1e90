import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ConsoleFeature } from '../../src/console/console-feature';
import type { ProtectionFeature } from '../../src/protection/protection-feature';
import { consoleSession } from '../support/console-session';
import { HOTLINE, startHotline, type Hotline } from '../support/hotline-harness';

const A = '+8613800000001';
const B = '+8613800000002';
const C = '+8613800000003';
const CALLER = '+8613911112222';
// 10:00 on Monday 23 November 2026 in Shanghai.
const START = '2026-11-23T02:00:00Z';
const WEEK = '2026-11-23';

describe('the supervisor\'s console pages through HTTP: roster, leave, hotlines, blocklist, customers, audit, account', { timeout: 180_000 }, () => {
  let h: Hotline;
  const ids: Record<string, string> = {};
  let sup: { cookie: string; csrf: string };
  let viewer: { cookie: string; csrf: string };
  let admin: { cookie: string; csrf: string };

  const form = (s: { cookie: string; csrf: string }, path: string, body: Record<string, string | string[]>) =>
    request(h.app).post(path).set('Cookie', s.cookie).type('form').send({ _csrf: s.csrf, ...body });
  const pageOf = (s: { cookie: string }, path: string) => request(h.app).get(path).set('Cookie', s.cookie);

  beforeAll(async () => {
    h = await startHotline({}, START);
    for (const [name, phone] of [['张伟', A], ['李娜', B], ['王芳', C]] as const) ids[phone] = (await h.api.addAgent(name, phone)).id;
    const accounts = (h.container.features.find((f) => f.name === 'console') as ConsoleFeature).accounts;
    await accounts.create('wang', 'wang-password-1', 'admin');
    await accounts.create('zhou', 'zhou-password-1', 'supervisor');
    await accounts.create('li', 'li-password-1', 'viewer');
    admin = await consoleSession(h, 'wang', 'wang-password-1');
    sup = await consoleSession(h, 'zhou', 'zhou-password-1');
    viewer = await consoleSession(h, 'li', 'li-password-1');
  });
  afterAll(async () => {
    await h?.close();
  });

  it('roster: weekly patterns and dated shifts edited in place; the week grid shades the hours nobody covers', async () => {
    const day = { day1: '08:00-20:00', day2: '08:00-20:00', day3: '08:00-20:00', day4: '08:00-20:00', day5: '08:00-20:00', day6: '', day7: '' };
    expect((await form(sup, `/console/roster/agents/${ids[A]}/pattern`, { ...day, week: WEEK })).status).toBe(303);
    const night = Object.fromEntries([1, 2, 3, 4, 5, 6, 7].map((d) => [`day${d}`, '20:00-08:00']));
    expect((await form(sup, `/console/roster/agents/${ids[B]}/pattern`, night)).status).toBe(303);
    expect((await form(sup, `/console/roster/agents/${ids[C]}/pattern`, { day1: '09:00-12:00, 14:00-18:00' })).status).toBe(303);
    expect((await h.api.get(`/api/agents/${ids[A]}/schedule`)).body.weekly).toHaveLength(5);
    expect((await h.api.get(`/api/agents/${ids[C]}/schedule`)).body.weekly).toEqual([
      { day: 1, start: '09:00', end: '12:00' },
      { day: 1, start: '14:00', end: '18:00' },
    ]);

    const bad = await form(sup, `/console/roster/agents/${ids[A]}/pattern`, { day1: '8 to 20' });
    expect(bad.status).toBe(400);
    expect(bad.text).toContain('day1: write times as 08:00-20:00');
    expect((await h.api.get(`/api/agents/${ids[A]}/schedule`)).body.weekly).toHaveLength(5);

    let grid = (await pageOf(sup, `/console/roster?week=${WEEK}`)).text;
    // Saturday and Sunday from 08:00 to 20:00 nobody is on duty: shaded, with the hours.
    expect(grid).toMatch(/class="day has-gap" data-day="2026-11-28"/);
    expect(grid).toMatch(/class="day " data-day="2026-11-27"/);
    expect(grid).toContain('无人值班 08:00–20:00');

    // A dated shift on Saturday fills the gap.
    expect((await form(sup, '/console/roster/shifts', { agentId: ids[C]!, date: '2026-11-28', start: '08:00', end: '20:00', kind: 'on', week: WEEK })).status).toBe(303);
    const shifts = (await h.api.get('/api/shifts').query({ from: '2026-11-27T00:00:00Z', to: '2026-11-29T00:00:00Z' })).body.shifts;
    expect(shifts).toEqual([expect.objectContaining({ agentId: ids[C], start: '2026-11-28T00:00:00.000Z', end: '2026-11-28T12:00:00.000Z', kind: 'on' })]);
    grid = (await pageOf(sup, `/console/roster?week=${WEEK}`)).text;
    expect(grid).toMatch(/class="day " data-day="2026-11-28"/);
    expect(grid).toMatch(/class="day has-gap" data-day="2026-11-29"/);

    // A viewer reads the grid but has no forms, and a forged change is refused.
    const seen = (await pageOf(viewer, `/console/roster?week=${WEEK}`)).text;
    expect(seen).toContain('data-day="2026-11-29"');
    expect(seen).not.toContain('action="/console/roster/shifts"');
    expect((await form(viewer, `/console/roster/shifts/${shifts[0].id}/delete`, {})).status).toBe(403);

    expect((await form(sup, `/console/roster/shifts/${shifts[0].id}/delete`, { week: WEEK })).status).toBe(303);
    expect((await h.api.get('/api/shifts').query({ from: '2026-11-27T00:00:00Z', to: '2026-11-29T00:00:00Z' })).body.shifts).toEqual([]);
    // Clear C's pattern (all blank) so the later tests are not bound by it.
    expect((await form(sup, `/console/roster/agents/${ids[C]}/pattern`, {})).status).toBe(303);
    expect((await h.api.get(`/api/agents/${ids[C]}/schedule`)).body.weekly).toEqual([]);
  });

  it('leave: recorded with a substitute; a refused one names what it collides with; conflicts stay visible', async () => {
    const leave = (agent: string, sub: string, kind: string, from: string, to: string) =>
      form(sup, '/console/leave', { agentId: ids[agent]!, substituteAgentId: ids[sub]!, kind, startDate: from, startTime: '00:00', endDate: to, endTime: '00:00' });
    expect((await leave(A, B, 'annual', '2026-12-01', '2026-12-04')).status).toBe(303);
    const [recorded] = (await h.api.get('/api/leaves')).body.leaves;
    expect(recorded).toMatchObject({ agentId: ids[A], substituteAgentId: ids[B], kind: 'annual', start: '2026-11-30T16:00:00.000Z', end: '2026-12-03T16:00:00.000Z' });

    // Another annual leave at the same time: refused (R9), the page says with whose leave.
    const refused = await leave(C, B, 'annual', '2026-12-02', '2026-12-05');
    expect(refused.status).toBe(409);
    expect(refused.text).toContain('at most one agent on annual leave');
    expect(refused.text).toContain('data-collision="annual"');
    expect(refused.text).toContain('张伟 的年假');
    // A substitute who is away: refused, naming the substitute's leave.
    const away = await leave(B, A, 'sick', '2026-12-02', '2026-12-03');
    expect(away.status).toBe(409);
    expect(away.text).toContain('data-collision="substitute-away"');
    expect((await h.api.get('/api/leaves')).body.leaves).toHaveLength(1);

    const list = (await pageOf(viewer, '/console/leave')).text;
    expect(list).toContain(`data-leave="${recorded.id}"`);
    expect(list).toContain('替班: <b>李娜</b>');
    expect(list).not.toContain('action="/console/leave"');
    expect((await form(viewer, `/console/leave/${recorded.id}/delete`, {})).status).toBe(403);

    const badDate = await form(sup, '/console/leave', { agentId: ids[A]!, substituteAgentId: ids[B]!, kind: 'sick', startDate: 'soon', endDate: '2026-12-10' });
    expect(badDate.status).toBe(400);
    expect(badDate.text).toContain('start: must be a date');

    expect((await form(sup, `/console/leave/${recorded.id}/delete`, {})).status).toBe(303);
    expect((await h.api.get('/api/leaves')).body.leaves).toEqual([]);

    // A blank end time is the end of the end date: one day off, 10 December.
    expect((await form(sup, '/console/leave', { agentId: ids[B]!, substituteAgentId: ids[C]!, kind: 'personal', startDate: '2026-12-10', startTime: '', endDate: '2026-12-10', endTime: '' })).status).toBe(303);
    expect((await h.api.get('/api/leaves')).body.leaves).toEqual([expect.objectContaining({ start: '2026-12-09T16:00:00.000Z', end: '2026-12-10T16:00:00.000Z', kind: 'personal' })]);
  });

  it('hotlines: a number with its group, greeting and language, added and changed; a number taken twice is refused', async () => {
    const added = await form(sup, '/console/hotlines', { number: '+864008001234', name: '服务热线', language: 'zh-CN', greeting: '您好，这里是服务热线', agentIds: [ids[A]!, ids[B]!] });
    expect(added.status).toBe(303);
    const [line] = (await h.api.get('/api/hotlines')).body.hotlines;
    expect(line).toMatchObject({ number: '+864008001234', name: '服务热线', language: 'zh-CN', greeting: '您好，这里是服务热线' });
    expect(line.agentIds.sort()).toEqual([ids[A], ids[B]].sort());

    expect((await form(sup, `/console/hotlines/${line.id}`, { number: '+864008001234', name: 'Service line', language: 'en-US', greeting: '', agentIds: ids[C]! })).status).toBe(303);
    expect((await h.api.get(`/api/hotlines/${line.id}`)).body).toMatchObject({ name: 'Service line', language: 'en-US', greeting: null, agentIds: [ids[C]] });

    const twice = await form(sup, '/console/hotlines', { number: '+864008001234', name: 'again' });
    expect(twice.status).toBe(409);
    expect(twice.text).toContain('a hotline already has +864008001234');
    const bad = await form(sup, '/console/hotlines', { number: '4008001234', name: 'x' });
    expect(bad.status).toBe(400);
    expect(bad.text).toContain('number: must be an E.164 number');
    expect((await form(viewer, `/console/hotlines/${line.id}`, { number: '+864008001234', name: 'mine' })).status).toBe(403);

    const page = (await pageOf(sup, '/console/hotlines')).text;
    expect(page).toContain('Service line · +864008001234');
    // The week grid now has a card for the group.
    expect((await pageOf(sup, `/console/roster?week=${WEEK}`)).text).toContain('data-group="Service line · +864008001234"');

    // The group's only member away on Tuesday: the substitute from outside the group covers, no gap.
    const away = await form(sup, '/console/leave', { agentId: ids[C]!, substituteAgentId: ids[A]!, kind: 'sick', startDate: '2026-11-24', endDate: '2026-11-24' });
    expect(away.status).toBe(303);
    const grid = (await pageOf(sup, `/console/roster?week=${WEEK}`)).text;
    const group = grid.slice(grid.indexOf('data-group="Service line'));
    const tuesday = group.slice(group.indexOf('data-day="2026-11-24"'), group.indexOf('data-day="2026-11-25"'));
    expect(tuesday).toContain('class="pill">顶班');
    expect(tuesday).not.toContain('data-gap');
    const leaveId = (await h.api.get('/api/leaves')).body.leaves.find((x: { agentId: string }) => x.agentId === ids[C]).id;
    expect((await form(sup, `/console/leave/${leaveId}/delete`, {})).status).toBe(303);
  });

  it('blocklist: add, expire and remove; internal numbers; harassment reports blocked or dismissed', async () => {
    expect((await form(sup, '/console/blocklist', { pattern: '+86170*', reason: 'spam', expiresOn: '', note: '推销' })).status).toBe(303);
    let [rule] = (await h.api.get('/api/blocklist')).body.rules;
    expect(rule).toMatchObject({ pattern: '+86170*', reason: 'spam', note: '推销', expiresAt: null, active: true, addedBy: 'account:zhou' });
    expect((await form(sup, `/console/blocklist/${rule.id}/expire`, { expiresOn: '2026-12-31', expiresAt: '18:00' })).status).toBe(303);
    [rule] = (await h.api.get('/api/blocklist')).body.rules;
    expect(rule.expiresAt).toBe('2026-12-31T10:00:00.000Z');
    const past = await form(sup, `/console/blocklist/${rule.id}/expire`, { expiresOn: '2020-01-01' });
    expect(past.status).toBe(400);
    expect(past.text).toContain('expiresAt: must be in the future');
    expect((await form(sup, '/console/blocklist', { pattern: 'nonsense', reason: 'spam' })).status).toBe(400);
    expect((await form(viewer, `/console/blocklist/${rule.id}/remove`, {})).status).toBe(403);
    expect((await form(sup, `/console/blocklist/${rule.id}/remove`, {})).status).toBe(303);
    expect((await h.api.get('/api/blocklist')).body.rules).toEqual([]);

    expect((await form(sup, '/console/blocklist/internal', { pattern: '+862155550000', name: '前台' })).status).toBe(303);
    const [internal] = (await h.api.get('/api/internal-numbers')).body.internalNumbers;
    expect(internal).toMatchObject({ pattern: '+862155550000', name: '前台' });
    expect((await form(sup, '/console/blocklist/internal', { pattern: '+862155550000' })).status).toBe(409);
    expect((await form(sup, `/console/blocklist/internal/${internal.id}/remove`, {})).status).toBe(303);
    expect((await h.api.get('/api/internal-numbers')).body.internalNumbers).toEqual([]);

    // An agent reported a caller: it waits on the page for a decision.
    await h.twilio.placeCall({ from: CALLER, to: HOTLINE, agents: { [A]: { does: 'accept', ringSeconds: 2, talkSeconds: 20 }, [B]: { does: 'accept', ringSeconds: 2, talkSeconds: 20 }, [C]: { does: 'accept', ringSeconds: 2, talkSeconds: 20 } } });
    const [call] = (await h.api.get('/api/calls')).body.calls;
    const protection = h.container.features.find((f) => f.name === 'protection') as ProtectionFeature;
    await protection.store.report({ phone: CALLER, callId: call.id, agentId: call.answeredByAgentId, at: h.clock.now() });
    let page = (await pageOf(sup, '/console/blocklist')).text;
    expect(page).toContain(`data-report="${CALLER}"`);
    // A viewer sees the report with the number masked, and no decision to take.
    const masked = (await pageOf(viewer, '/console/blocklist')).text;
    expect(masked).not.toContain(CALLER);
    expect(masked).not.toContain('/console/blocklist/reports/block');

    expect((await form(sup, '/console/blocklist/reports/block', { phone: CALLER })).status).toBe(303);
    expect((await h.api.get('/api/blocklist')).body.rules).toEqual([expect.objectContaining({ pattern: CALLER, reason: 'harassment', active: true })]);
    page = (await pageOf(sup, '/console/blocklist')).text;
    expect(page).toContain('已拉黑');
    expect((await form(sup, '/console/blocklist/reports/lift', { phone: CALLER })).status).toBe(303);
    expect((await h.api.get('/api/caller-reports')).body.reports).toEqual([]);
    expect((await form(sup, '/console/blocklist/reports/lift', { phone: CALLER })).status).toBe(404);
  });

  it('customers: the files listed and searched, one file with its calls, name and notes edited', async () => {
    const list = (await pageOf(sup, `/console/customers?q=${encodeURIComponent('139111')}`)).text;
    const id = /data-customer="([^"]+)"/.exec(list)![1]!;
    expect(list).toContain(CALLER);
    // Viewers search by name only and see the number masked (R12).
    expect((await pageOf(viewer, `/console/customers?q=${encodeURIComponent('139111')}`)).text).not.toContain(`data-customer="${id}"`);
    expect((await pageOf(viewer, '/console/customers')).text).not.toContain(CALLER);

    expect((await form(sup, `/console/customers/${id}`, { name: '赵先生', notes: '老客户，来电先问订单号' })).status).toBe(303);
    expect((await h.api.get(`/api/customers/${encodeURIComponent(CALLER)}`)).body).toMatchObject({ name: '赵先生', notes: '老客户，来电先问订单号' });
    const file = (await pageOf(sup, `/console/customers/${id}`)).text;
    expect(file).toContain('赵先生');
    expect(file).toMatch(/href="\/console\/calls\/[0-9a-f-]{36}"/);
    expect((await pageOf(viewer, `/console/customers?q=${encodeURIComponent('赵')}`)).text).toContain(`data-customer="${id}"`);
    expect((await form(viewer, `/console/customers/${id}`, { name: 'x' })).status).toBe(403);
    expect((await form(sup, `/console/customers/${id}`, { name: 'x'.repeat(101) })).status).toBe(400);
  });

  it('audit: every change above is in the log with who made it, filtered by action and person', async () => {
    const all = (await pageOf(viewer, '/console/audit')).text;
    expect(all).toContain('roster.leave-added');
    expect(all).toContain('account:zhou');
    // Numbers in targets and details are masked for a viewer.
    expect(all).not.toContain(CALLER);
    const roster = (await pageOf(sup, '/console/audit?action=roster.&actor=zhou&limit=50')).text;
    expect(roster).toContain('roster.schedule-set');
    expect(roster).not.toContain('api.POST /blocklist');
    expect((await pageOf(sup, '/console/audit?limit=7')).status).toBe(400);
  });

  it('account: one\'s own password with the current one (staying signed in); an admin resets another\'s', async () => {
    const wrong = await form(viewer, '/console/account/password', { current: 'not-it-at-all', password: 'li-new-password', repeat: 'li-new-password' });
    expect(wrong.status).toBe(400);
    expect(wrong.text).toContain('current: the current password is wrong');
    expect((await form(viewer, '/console/account/password', { current: 'li-password-1', password: 'li-new-password', repeat: 'li-other-password' })).status).toBe(400);
    expect((await form(viewer, '/console/account/password', { current: 'li-password-1', password: 'short', repeat: 'short' })).status).toBe(400);

    const changed = await form(viewer, '/console/account/password', { current: 'li-password-1', password: 'li-new-password', repeat: 'li-new-password' });
    expect(changed.status).toBe(303);
    const fresh = (changed.headers['set-cookie'] as unknown as string[]).find((c) => c.startsWith('threering_console='))!.split(';')[0]!;
    // The old session ended with the old password; this browser goes on with the new one.
    expect((await pageOf(viewer, '/console/account')).status).toBe(303);
    expect((await request(h.app).get('/console/account?changed=1').set('Cookie', fresh)).text).toContain('密码已修改');
    viewer = await consoleSession(h, 'li', 'li-new-password');

    // Only admins reset others' passwords.
    expect((await pageOf(sup, '/console/account')).text).not.toContain('/console/account/reset');
    const liId = /<option value="([^"]+)">li · /.exec((await pageOf(admin, '/console/account')).text)![1]!;
    expect((await form(sup, '/console/account/reset', { accountId: liId, password: 'reset-by-zhou-1' })).status).toBe(403);
    expect((await form(admin, '/console/account/reset', { accountId: liId, password: 'reset-by-wang-1' })).status).toBe(303);
    expect((await pageOf(viewer, '/console/account')).status).toBe(303);
    viewer = await consoleSession(h, 'li', 'reset-by-wang-1');
    expect((await pageOf(viewer, '/console/audit?action=account.password')).text).toContain('account.password-reset');
  });
});
