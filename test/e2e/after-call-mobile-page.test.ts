import nock from 'nock';
import request from 'supertest';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { NOTES_LINK_PURPOSE } from '../../src/after-call/notes-link';
import { signLink } from '../../src/domain/signed-link';
import { afterCallOf, interceptAfterCallRest, pagePathIn, rates, type AfterCallRest } from '../support/after-call';
import { HOTLINE, startHotline, type Hotline } from '../support/hotline-harness';

const CALLER = '+8613911112222';
const A = '+8613800000001';
const B = '+8613800000002';

describe("the agent's call page, opened from the SMS link", () => {
  let h: Hotline;
  let rest: AfterCallRest;
  let agents: Record<string, string>;
  let path: string;
  let callId: string;

  beforeEach(async () => {
    h = await startHotline();
    rest = interceptAfterCallRest(h);
    agents = {};
    for (const [name, phone] of [['Agent A', A], ['Agent B', B]] as const) agents[phone] = (await h.api.addAgent(name, phone)).id;
    await h.twilio.placeCall({ from: CALLER, to: HOTLINE, callerName: 'ZHANG SAN', agents: { [A]: { does: 'accept', talkSeconds: 75 } }, onGather: rates({ digits: '5' }) });
    await afterCallOf(h).settled();
    path = pagePathIn(rest.sms[0]!.Body!);
    callId = (await h.api.get('/api/calls')).body.calls[0].id;
  });
  afterEach(async () => {
    await h.close();
    nock.cleanAll();
  });

  const page = (p = path) => request(h.app).get(p);
  const save = (body: Record<string, string>, p = path) => request(h.app).post(p).type('form').send(body);
  const call = async () => (await h.api.get(`/api/calls/${callId}`)).body;
  const history = async () => (await h.api.get(`/api/calls/${callId}/notes-history`)).body.changes;

  it('shows the call with the full caller number to its agent, on a mobile-sized page kept out of caches', async () => {
    const res = await page();
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/html; charset=utf-8/);
    expect(res.headers['cache-control']).toBe('no-store');
    expect(res.headers['referrer-policy']).toBe('no-referrer');
    expect(res.text).toContain('<meta name="viewport" content="width=device-width, initial-scale=1">');
    expect(res.text).toContain(CALLER);
    expect(res.text).toContain('ZHANG SAN');
    expect(res.text).toContain('5 / 5');
    expect(res.text).toContain('<select id="type" name="type">');
    expect(res.text).not.toContain('/handover"');
  });

  it('saves the type, summary and caller name the agent enters, audited as that agent, with every value escaped', async () => {
    const res = await save({ type: 'repair', summary: 'Leaking pipe <script>alert(1)</script>', callerName: '张三' });
    expect(res.status).toBe(303);
    expect(res.headers.location).toBe(`${path}?done=saved`);
    expect(await call()).toMatchObject({ type: 'repair', summary: 'Leaking pipe <script>alert(1)</script>', callerName: '张三', callerNameSuggestion: 'ZHANG SAN' });
    expect((await history()).map((c: { changedBy: string }) => c.changedBy)).toEqual([`agent:${agents[A]}`, `agent:${agents[A]}`, `agent:${agents[A]}`]);

    const after = await page(`${path}?done=saved`);
    expect(after.text).toContain('已保存');
    expect(after.text).toContain('<option value="repair" selected>');
    expect(after.text).toContain('Leaking pipe &lt;script&gt;alert(1)&lt;/script&gt;');
    expect(after.text).not.toContain('<script>');
    const customer = await h.api.get(`/api/customers/${encodeURIComponent(CALLER)}`);
    expect(customer.body).toMatchObject({ name: '张三', nameSuggestion: 'ZHANG SAN' });
  });

  it('refuses a bad type with a 400 page naming the field, and changes nothing', async () => {
    const res = await save({ type: 'gossip', summary: 'x' });
    expect(res.status).toBe(400);
    expect(res.text).toContain('type:');
    expect(await call()).toMatchObject({ type: null, summary: null });
    expect(await history()).toEqual([]);
  });

  it('refuses an expired link (403) and changes nothing', async () => {
    h.clock.advance(24 * 3600 + 1);
    for (const res of [await page(), await save({ type: 'complaint', summary: 'late' }), await request(h.app).post(`${path}/handover`).type('form').send({})]) {
      expect(res.status).toBe(403);
      expect(res.text).not.toContain(CALLER);
    }
    expect(await call()).toMatchObject({ type: null, summary: null });
    expect(await history()).toEqual([]);
  });

  it('refuses a tampered link (403) and changes nothing', async () => {
    const [payload, sig] = path.slice('/m/calls/'.length).split('.') as [string, string];
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString());
    const forged = Buffer.from(JSON.stringify({ ...claims, e: claims.e + 30 * 24 * 3600 })).toString('base64url');
    const flipped = sig.slice(0, -2) + (sig.endsWith('AA') ? 'BB' : 'AA');
    for (const p of [`/m/calls/${forged}.${sig}`, `/m/calls/${payload}.${flipped}`, '/m/calls/garbage']) {
      expect((await page(p)).status).toBe(403);
      expect((await save({ type: 'complaint' }, p)).status).toBe(403);
    }
    expect(await call()).toMatchObject({ type: null });
    expect(await history()).toEqual([]);
  });

  it("opens only the call it names, and only for the agent who answered it", async () => {
    const secret = h.config.LINK_SECRET;
    const expiresAt = new Date(h.clock.now().getTime() + 3600_000);
    const otherAgent = signLink(secret, { purpose: NOTES_LINK_PURPOSE, subject: callId, agentId: agents[B]!, expiresAt });
    const otherPurpose = signLink(secret, { purpose: 'callback-dial', subject: callId, agentId: agents[A]!, expiresAt });
    const noCall = signLink(secret, { purpose: NOTES_LINK_PURPOSE, subject: '00000000-0000-4000-8000-000000000000', agentId: agents[A]!, expiresAt });
    for (const token of [otherAgent, otherPurpose, noCall]) {
      const res = await page(`/m/calls/${token}`);
      expect(res.status).toBe(403);
      expect(res.text).not.toContain(CALLER);
    }
  });
});
