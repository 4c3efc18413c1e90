import nock from 'nock';
import request from 'supertest';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { NOTES_LINK_PURPOSE } from '../../src/after-call/notes-link';
import type { CallbackFeature } from '../../src/callbacks/callback-feature';
import { signLink } from '../../src/domain/signed-link';
import { PostgresAuditStore } from '../../src/postgres/audit-store';
import { ACCOUNT_SID, HOTLINE, PUBLIC_BASE_URL, startHotline, TWILIO_API, type Hotline } from '../support/hotline-harness';
import { interceptTwilioRest, type RestCapture } from '../support/outbound-call';

const A = '+8613800000001';
const B = '+8613800000002';
const C = '+8613800000003';
const ANSWERED = '+8613911110001';
const MISSED = '+8613911110002';
// 10:00 on Monday 23 November 2026 in Shanghai.
const START = '2026-11-23T02:00:00Z';

describe("the agent's phone page, opened from their signed link", { timeout: 120_000 }, () => {
  let h: Hotline;
  let rest: RestCapture;
  let ids: Record<string, string>;
  let path: string;
  let callbackId: string;

  beforeEach(async () => {
    // Texts with no call behind them (the substitute's notice) go out from SMS_FROM, or the first hotline on record.
    h = await startHotline({ SMS_FROM: HOTLINE }, START);
    rest = interceptTwilioRest(TWILIO_API, ACCOUNT_SID);
    ids = {};
    for (const [name, phone] of [['张伟', A], ['李娜', B], ['王芳', C]] as const) ids[phone] = (await h.api.addAgent(name, phone)).id;
    await h.twilio.placeCall({ from: ANSWERED, to: HOTLINE, agents: { [A]: { does: 'accept', ringSeconds: 3, talkSeconds: 60, hangsUpFirst: 'agent' } }, onGather: () => 'hang-up' });
    h.clock.advance(60);
    await h.twilio.placeCall({ from: MISSED, to: HOTLINE });
    const cbs = (await h.api.get('/api/callbacks')).body.callbacks as { id: string; phone: string }[];
    callbackId = cbs.find((c) => c.phone === MISSED)!.id;
    expect((await h.api.patch(`/api/callbacks/${callbackId}`, { ownerAgentId: ids[A] })).status).toBe(200);
    const link = await h.api.get(`/api/agents/${ids[A]}/page-link`);
    expect(link.status).toBe(200);
    expect(link.body.url.startsWith(`${PUBLIC_BASE_URL}/m/me/`)).toBe(true);
    path = link.body.url.slice(PUBLIC_BASE_URL.length);
  });
  afterEach(async () => {
    nock.cleanAll();
    await h.close();
  });

  const page = (p = path) => request(h.app).get(p);
  const post = (sub: string, body: Record<string, string>, p = path) => request(h.app).post(`${p}/${sub}`).type('form').send(body);
  const agent = async (phone: string) => (await h.api.get(`/api/agents/${ids[phone]}`)).body;
  const leaves = async () => (await h.api.get('/api/leaves')).body.leaves as { agentId: string; substituteAgentId: string; kind: string; start: string; end: string }[];

  it('shows the agent their state, callbacks, calls to write up, leave form, fines and figures, kept out of caches', async () => {
    const res = await page();
    expect(res.status).toBe(200);
    expect(res.headers['cache-control']).toBe('no-store');
    expect(res.headers['referrer-policy']).toBe('no-referrer');
    expect(res.headers['content-security-policy']).toContain("form-action 'self'");
    expect(res.text).toContain('<html lang="zh-CN">');
    expect(res.text).toContain('<meta name="viewport" content="width=device-width, initial-scale=1">');
    expect(res.text).toContain('张伟');
    expect(res.text).toContain('data-state="taking-calls"');
    expect(res.text).toMatch(/data-on-with>现在在班：李娜、王芳</);
    expect(res.text).toContain(`data-callback="${callbackId}"`);
    expect(res.text).toContain(MISSED);
    expect(res.text).toContain('data-action="write-up"');
    expect(res.text).toContain('<option value="' + ids[B] + '">李娜</option>');
    expect(res.text).not.toContain('<option value="' + ids[A] + '">');
    expect(res.text).toContain('本月没有罚款');
    expect(res.text).toMatch(/data-figure="calls">1</);
    // The write-up link opens that call's page, for this agent.
    const notes = /href="(\/m\/calls\/[^"]+)" data-action="write-up"/.exec(res.text)![1]!;
    const call = await request(h.app).get(notes);
    expect(call.status).toBe(200);
    expect(call.text).toContain(ANSWERED);
    // Once typed, the call leaves the list.
    expect((await request(h.app).post(notes).type('form').send({ type: 'consultation', summary: 'asked about hours' })).status).toBe(303);
    expect((await page()).text).not.toContain('data-action="write-up"');
  });

  it('goes off duty and on again, audited as the agent; refuses a bad value and an admin pause with nothing changed', async () => {
    const off = await post('duty', { duty: 'off' });
    expect(off.status).toBe(303);
    expect(off.headers.location).toBe(`${path}?done=off`);
    expect(await agent(A)).toMatchObject({ paused: true, pausedReason: 'sms' });
    expect((await page(`${path}?done=off`)).text).toContain('已下班');
    // A call now skips A.
    const t = await h.twilio.placeCall({ from: '+8613911110009', to: HOTLINE, agents: { [A]: { does: 'accept' }, [B]: { does: 'accept', talkSeconds: 10 } } });
    expect(t.dialed).not.toContain(A);

    expect((await post('duty', { duty: 'on' })).status).toBe(303);
    expect(await agent(A)).toMatchObject({ paused: false });
    const audit = await new PostgresAuditStore(h.container.db).recent({ target: `agent:${ids[A]}`, limit: 10 });
    expect(audit.filter((e) => e.actor === `agent:${ids[A]}`).map((e) => [e.action, (e.detail as { via?: string }).via])).toEqual([
      ['roster.resume', 'page'],
      ['roster.pause', 'page'],
    ]);

    const bad = await post('duty', { duty: 'maybe' });
    expect(bad.status).toBe(400);
    expect(bad.text).toContain('duty:');
    expect(await agent(A)).toMatchObject({ paused: false });

    expect((await h.api.patch(`/api/agents/${ids[A]}`, { paused: true })).status).toBe(200);
    const refused = await post('duty', { duty: 'on' });
    expect(refused.status).toBe(409);
    expect(refused.text).toContain('管理员');
    expect(await agent(A)).toMatchObject({ paused: true, pausedReason: 'admin' });
  });

  it('asks for leave with a substitute, who is told; refuses bad or conflicting leave and records nothing', async () => {
    const ok = await post('leave', { kind: 'personal', start: '2026-11-24T08:00', end: '2026-11-24T20:00', substituteAgentId: ids[B]! });
    expect(ok.status).toBe(303);
    expect(ok.headers.location).toBe(`${path}?done=leave`);
    expect(await leaves()).toEqual([expect.objectContaining({ agentId: ids[A], substituteAgentId: ids[B], kind: 'personal', start: '2026-11-24T00:00:00.000Z', end: '2026-11-24T12:00:00.000Z' })]);
    expect(rest.sms.filter((s) => s.To === B).map((s) => s.Body)).toEqual([expect.stringContaining('张伟 11-24 08:00–11-24 20:00 请事假，由您代班')]);
    expect((await page()).text).toContain('李娜');

    const refusals: [Record<string, string>, number, string][] = [
      [{ kind: 'holiday', start: '2026-11-25T08:00', end: '2026-11-25T20:00', substituteAgentId: ids[B]! }, 400, 'kind:'],
      [{ kind: 'sick', start: 'tomorrow', end: '2026-11-25T20:00', substituteAgentId: ids[B]! }, 400, 'start:'],
      [{ kind: 'sick', start: '2026-11-25T20:00', end: '2026-11-25T08:00', substituteAgentId: ids[B]! }, 400, 'end:'],
      [{ kind: 'sick', start: '2026-11-20T08:00', end: '2026-11-25T08:00', substituteAgentId: ids[B]! }, 400, 'start:'],
      [{ kind: 'sick', start: '2026-11-25T08:00', end: '2026-11-25T20:00', substituteAgentId: '' }, 400, 'substituteAgentId:'],
      [{ kind: 'sick', start: '2026-11-25T08:00', end: '2026-11-25T20:00', substituteAgentId: ids[A]! }, 400, 'substituteAgentId:'],
      // Already away then.
      [{ kind: 'sick', start: '2026-11-24T10:00', end: '2026-11-24T12:00', substituteAgentId: ids[C]! }, 409, 'already on leave'],
    ];
    for (const [body, status, says] of refusals) {
      const res = await post('leave', body);
      expect(res.status, JSON.stringify(body)).toBe(status);
      expect(res.text).toContain(says);
      // The form keeps what was typed.
      expect(res.text).toContain(`value="${body.start}"`);
    }
    // Annual leave: one agent at a time.
    expect((await h.api.post('/api/leaves', { agentId: ids[C], substituteAgentId: ids[B], kind: 'annual', start: '2026-12-01T00:00:00Z', end: '2026-12-05T00:00:00Z' })).status).toBe(201);
    const annual = await post('leave', { kind: 'annual', start: '2026-12-02T08:00', end: '2026-12-03T20:00', substituteAgentId: ids[B]! });
    expect(annual.status).toBe(409);
    expect(annual.text).toContain('at most one agent on annual leave');
    expect((await leaves()).filter((l) => l.agentId === ids[A])).toHaveLength(1);
  });

  it('a leave from now hands the agent their open callbacks to the substitute at once', async () => {
    const res = await post('leave', { kind: 'sick', start: '2026-11-23T10:00', end: '2026-11-23T20:00', substituteAgentId: ids[C]! });
    expect(res.status).toBe(303);
    expect((await h.api.get(`/api/callbacks/${callbackId}`)).body.ownerAgentId).toBe(ids[C]);
    expect((await page()).text).not.toContain(`data-callback="${callbackId}"`);
  });

  it('starts a callback through the hotline: the agent’s phone is rung first; a second press and a callback not theirs are refused', async () => {
    const res = await post(`callbacks/${callbackId}/dial`, {});
    expect(res.status).toBe(303);
    expect(res.headers.location).toBe(`${path}?done=dialled`);
    expect(rest.calls.map((c) => [c.params.get('To'), c.params.get('From')])).toEqual([[A, HOTLINE]]);
    expect((await h.api.get(`/api/callbacks/${callbackId}`)).body.attempts).toEqual([expect.objectContaining({ placedVia: 'link', agentId: ids[A] })]);

    const again = await post(`callbacks/${callbackId}/dial`, {});
    expect(again.status).toBe(409);
    expect(again.text).toContain('role="alert"');
    expect(rest.calls).toHaveLength(1);

    expect((await h.api.patch(`/api/callbacks/${callbackId}`, { ownerAgentId: ids[B] })).status).toBe(200);
    const stolen = await post(`callbacks/${callbackId}/dial`, {});
    expect(stolen.status).toBe(403);
    for (const bad of ['not-an-id', '00000000-0000-4000-8000-000000000000']) expect((await post(`callbacks/${bad}/dial`, {})).status).toBe(404);
    expect(rest.calls).toHaveLength(1);
  });

  it('shows a late callback’s fine and the month’s figures', async () => {
    const cb = (await h.api.get(`/api/callbacks/${callbackId}`)).body;
    h.clock.set(new Date(new Date(cb.dueAt).getTime() + 60_000));
    const scheduler = (h.container.features.find((f) => f.name === 'callbacks') as CallbackFeature).scheduler;
    await scheduler.runDue(h.clock.now());
    const res = await page();
    expect(res.text).toContain('data-fine>');
    expect(res.text).toContain('data-fine-total="20"');
    expect(res.text).toContain('已超时');
    expect(res.text).toMatch(/data-figure="callbacksOnTime">0 \/ 1</);
    expect(res.text).toMatch(/data-figure="grade">[A-E] \(/);
  });

  it('switches to English for this agent, and refuses an unknown language', async () => {
    expect((await post('language', { language: 'en-US' })).status).toBe(303);
    const res = await page();
    expect(res.text).toContain('<html lang="en-US">');
    expect(res.text).toContain('Go off duty');
    expect((await post('language', { language: 'fr-FR' })).status).toBe(400);
    expect((await page()).text).toContain('<html lang="en-US">');
  });

  it('refuses an expired, tampered, other-purpose or retired agent’s link (403), and changes nothing', async () => {
    const token = path.slice('/m/me/'.length);
    const [payload, sig] = token.split('.') as [string, string];
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString());
    const forged = Buffer.from(JSON.stringify({ ...claims, a: ids[B], s: ids[B] })).toString('base64url');
    const expiresAt = new Date(h.clock.now().getTime() + 3600_000);
    const notesToken = signLink(h.config.LINK_SECRET, { purpose: NOTES_LINK_PURPOSE, subject: ids[A]!, agentId: ids[A]!, expiresAt });
    for (const p of [`/m/me/${forged}.${sig}`, `/m/me/${notesToken}`, '/m/me/garbage']) {
      expect((await page(p)).status).toBe(403);
      expect((await post('duty', { duty: 'off' }, p)).status).toBe(403);
      expect((await post(`callbacks/${callbackId}/dial`, {}, p)).status).toBe(403);
    }
    h.clock.advance(h.config.AGENT_PAGE_TTL_HOURS * 3600 + 1);
    const expired = await page();
    expect(expired.status).toBe(403);
    expect(expired.text).not.toContain(MISSED);
    expect((await post('duty', { duty: 'off' })).status).toBe(403);
    expect(await agent(A)).toMatchObject({ paused: false });
    expect(rest.calls).toHaveLength(0);

    const fresh = (await h.api.get(`/api/agents/${ids[C]}/page-link`)).body.url.slice(PUBLIC_BASE_URL.length);
    expect((await h.api.delete(`/api/agents/${ids[C]}`)).status).toBe(200);
    expect((await page(fresh)).status).toBe(403);
    expect((await h.api.get(`/api/agents/${ids[C]}/page-link`)).status).toBe(404);
  });
});
