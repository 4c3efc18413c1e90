import nock from 'nock';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { CallbackFeature } from '../../src/callbacks/callback-feature';
import { ACCOUNT_SID, HOTLINE, startHotline, TWILIO_API, type Hotline } from '../support/hotline-harness';
import { interceptTwilioRest, playCallbackCall, type RestCapture } from '../support/outbound-call';

const A = '+8613800000001';
const ADMIN = '+8613700000000';
// 10:00 in Shanghai on a Monday: the day window.
const START = '2026-11-23T02:00:00Z';
const MIN = 60_000;

const featureOf = (h: Hotline) => h.container.features.find((f) => f.name === 'callbacks') as CallbackFeature;

describe('late callbacks and the fines ledger', () => {
  let h: Hotline;
  let rest: RestCapture;
  let agentA: string;

  beforeEach(async () => {
    h = await startHotline({ ADMIN_ALERT_PHONES: ADMIN }, START);
    rest = interceptTwilioRest(TWILIO_API, ACCOUNT_SID);
    // One agent on the roster, so every missed call is theirs.
    agentA = (await h.api.addAgent('Agent A', A)).id;
  });
  afterEach(async () => {
    nock.cleanAll();
    await h.close();
  });

  const missedCallFrom = async (caller: string) => {
    await h.twilio.placeCall({ from: caller, to: HOTLINE });
    const list = (await h.api.get('/api/callbacks')).body.callbacks as { id: string; phone: string; dueAt: string }[];
    return list.find((c) => c.phone === caller)!;
  };
  const finesOf = async (month: string) => {
    const res = await h.api.get(`/api/fines?month=${month}`);
    expect(res.status).toBe(200);
    return res.body;
  };
  const adminAlerts = () => rest.sms.filter((m) => m.To === ADMIN);

  it('fines an agent 20, 50 and 100 for the 1st, 2nd and 3rd lapse of the month, and lets an admin waive one', async () => {
    const first = await missedCallFrom('+8613911110001');
    h.clock.advance(5 * 60);
    const second = await missedCallFrom('+8613911110002');
    h.clock.advance(5 * 60);
    const third = await missedCallFrom('+8613911110003');
    h.clock.advance(5 * 60);
    const onTime = await missedCallFrom('+8613911110004');

    // The fourth is called back before its deadline (the customer did not answer: it still counts).
    await featureOf(h).scheduler.runDue(h.clock.now());
    expect((await h.api.post(`/api/callbacks/${onTime.id}/dial`)).status).toBe(202);
    await playCallbackCall(h.twilio, h.clock, rest.calls[0]!, { does: 'press', digit: '1' }, { does: 'no-answer' });

    h.clock.set(new Date(new Date(onTime.dueAt).getTime() + MIN));
    await featureOf(h).scheduler.runDue(h.clock.now());

    const ledger = await finesOf('2026-11');
    expect(ledger.agents).toHaveLength(1);
    const mine = ledger.agents[0];
    expect(mine).toMatchObject({ agentId: agentA, name: 'Agent A', lapses: 3, total: 170, waivedTotal: 0 });
    const byCallback = Object.fromEntries(mine.fines.map((f: { callbackId: string; amount: number }) => [f.callbackId, f.amount]));
    expect(byCallback).toEqual({ [first.id]: 20, [second.id]: 50, [third.id]: 100 });
    expect(adminAlerts()).toHaveLength(3);
    expect(adminAlerts()[0]!.Body).toContain('回电超时');
    const late = (await h.api.get(`/api/callbacks/${first.id}`)).body;
    expect(late.lapsedAt).toBe(first.dueAt);
    const lateOnes = (await h.api.get('/api/callbacks?late=true')).body.callbacks.map((c: { id: string }) => c.id);
    expect(lateOnes.sort()).toEqual([first.id, second.id, third.id].sort());

    const fifty = mine.fines.find((f: { amount: number }) => f.amount === 50);
    const noReason = await h.api.post(`/api/fines/${fifty.id}/waive`, {});
    expect(noReason.status).toBe(400);
    expect(noReason.body.error.field).toBe('reason');
    const waived = await h.api.post(`/api/fines/${fifty.id}/waive`, { reason: 'was on approved sick leave' });
    expect(waived.status).toBe(200);
    expect(waived.body).toMatchObject({ waived: true, waivedReason: 'was on approved sick leave', amount: 50 });
    expect((await h.api.post(`/api/fines/${fifty.id}/waive`, { reason: 'again' })).status).toBe(409);

    const after = (await finesOf('2026-11')).agents[0];
    // Nothing is deleted: the waived fine stays on the ledger, out of the total.
    expect(after).toMatchObject({ lapses: 3, total: 120, waivedTotal: 50 });

    // A new month starts the ladder again.
    h.clock.set('2026-12-01T02:00:00Z');
    const december = await missedCallFrom('+8613911110005');
    h.clock.set(new Date(new Date(december.dueAt).getTime() + MIN));
    await featureOf(h).scheduler.runDue(h.clock.now());
    expect((await finesOf('2026-12')).agents[0].fines.map((f: { amount: number }) => f.amount)).toEqual([20]);
    expect((await h.api.get('/api/fines?month=2026-13')).body.error.field).toBe('month');
  });

  it("keeps a waived fine's place on the ladder: the next lapse of the month is the second", async () => {
    const first = await missedCallFrom('+8613911110011');
    h.clock.set(new Date(new Date(first.dueAt).getTime() + MIN));
    await featureOf(h).scheduler.runDue(h.clock.now());
    const [twenty] = (await finesOf('2026-11')).agents[0].fines;
    expect(twenty).toMatchObject({ callbackId: first.id, amount: 20 });
    expect((await h.api.post(`/api/fines/${twenty.id}/waive`, { reason: 'the roster was wrong' })).status).toBe(200);

    const second = await missedCallFrom('+8613911110012');
    h.clock.set(new Date(new Date(second.dueAt).getTime() + MIN));
    await featureOf(h).scheduler.runDue(h.clock.now());
    const mine = (await finesOf('2026-11')).agents[0];
    expect(mine.fines.map((f: { callbackId: string; amount: number; ordinal: number }) => [f.callbackId, f.ordinal, f.amount])).toEqual([
      [first.id, 1, 20],
      [second.id, 2, 50],
    ]);
    expect(mine).toMatchObject({ lapses: 2, total: 50, waivedTotal: 20 });
  });

  it('retries an SMS whose send failed, and the owner is texted once', async () => {
    rest.failNextSms = 1;
    const cb = await missedCallFrom('+8613911110013');
    const f = featureOf(h);
    await f.scheduler.runDue(h.clock.now());
    expect(rest.failedSms.map((m) => m.To)).toEqual([A]);
    expect(rest.sms).toEqual([]);
    let notify = (await h.api.get(`/api/callbacks/${cb.id}`)).body.jobs.find((j: { kind: string }) => j.kind === 'notify');
    expect(notify).toMatchObject({ status: 'pending', runs: 1 });

    // Not before its retry time...
    await f.scheduler.runDue(h.clock.now());
    expect(rest.sms).toEqual([]);
    // ...then once.
    h.clock.advance(61);
    await f.scheduler.runDue(h.clock.now());
    await f.scheduler.runDue(h.clock.now());
    expect(rest.sms.filter((m) => m.To === A)).toHaveLength(1);
    notify = (await h.api.get(`/api/callbacks/${cb.id}`)).body.jobs.find((j: { kind: string }) => j.kind === 'notify');
    expect(notify).toMatchObject({ status: 'done', runs: 2 });
  });

  // The loop runs on the real clock: on a busy machine a tick can come late, so wait generously.
  const LOOP_WAIT_MS = 30_000;
  it('runs due jobs on its own, every SCHEDULER_INTERVAL_SECONDS, once started', async () => {
    await h.close();
    h = await startHotline({ ADMIN_ALERT_PHONES: ADMIN, SCHEDULER_INTERVAL_SECONDS: '1' }, START);
    rest = interceptTwilioRest(TWILIO_API, ACCOUNT_SID);
    agentA = (await h.api.addAgent('Agent A', A)).id;
    const cb = await missedCallFrom('+8613911110014');
    const f = featureOf(h);
    f.scheduler.start();
    // Starting runs what is due (the owner's SMS)...
    await vi.waitFor(() => expect(rest.sms.filter((m) => m.To === A)).toHaveLength(1), { timeout: LOOP_WAIT_MS, interval: 50 });
    // ...and the loop, not a wake-up, runs what falls due later: the reminder, then the deadline.
    h.clock.set(new Date(new Date(cb.dueAt).getTime() - 29 * MIN));
    await vi.waitFor(() => expect(rest.sms.filter((m) => m.To === A)).toHaveLength(2), { timeout: LOOP_WAIT_MS, interval: 50 });
    expect(rest.sms[1]!.Body).toContain('回电提醒');
    h.clock.set(new Date(new Date(cb.dueAt).getTime() + MIN));
    await vi.waitFor(() => expect(adminAlerts()).toHaveLength(1), { timeout: LOOP_WAIT_MS, interval: 50 });
    expect((await finesOf('2026-11')).agents[0]).toMatchObject({ lapses: 1, total: 20 });
  }, 4 * LOOP_WAIT_MS);

  it('flags a night callback that runs past 24 hours without fining anyone', async () => {
    h.clock.set('2026-11-23T14:00:00Z'); // 22:00 in Shanghai
    const cb = await missedCallFrom('+8613911110009');
    expect(cb.dueAt).toBe('2026-11-24T02:00:00.000Z'); // 10:00 the next morning

    h.clock.set('2026-11-24T02:01:00Z');
    await featureOf(h).scheduler.runDue(h.clock.now());
    let now = (await h.api.get(`/api/callbacks/${cb.id}`)).body;
    expect(now.lapsedAt).toBe(cb.dueAt);
    expect(now.r4BreachedAt).toBeNull();

    h.clock.set('2026-11-24T14:01:00Z');
    await featureOf(h).scheduler.runDue(h.clock.now());
    now = (await h.api.get(`/api/callbacks/${cb.id}`)).body;
    expect(now.r4BreachedAt).not.toBeNull();
    expect((await finesOf('2026-11')).agents).toEqual([]);
    expect(adminAlerts().map((m) => m.Body)).toEqual([expect.stringContaining('回电超时'), expect.stringContaining('24小时')]);
  });

  it('takes a job again when the instance that took it died, once its lease has run out', async () => {
    await missedCallFrom('+8613911110008');
    const f = featureOf(h);
    // An instance takes the owner's SMS job and dies before sending it.
    expect(await f.jobs.claimDue(h.clock.now(), 5 * MIN, 10)).toHaveLength(1);
    expect(await f.scheduler.runDue(h.clock.now())).toBe(0);
    expect(rest.sms).toHaveLength(0);
    h.clock.advance(6 * 60);
    expect(await f.scheduler.runDue(h.clock.now())).toBe(1);
    expect(rest.sms.filter((m) => m.To === A)).toHaveLength(1);
  });

  it('sends one SMS and writes one fine when two scheduler instances race', async () => {
    const cb = await missedCallFrom('+8613911110007');
    const f = featureOf(h);
    const [one, two] = [f.newScheduler(), f.newScheduler()];

    const ran = await Promise.all([one.runDue(h.clock.now()), two.runDue(h.clock.now())]);
    expect(ran[0]! + ran[1]!).toBe(1);
    expect(rest.sms.filter((m) => m.To === A)).toHaveLength(1);

    h.clock.set(new Date(new Date(cb.dueAt).getTime() + MIN));
    await Promise.all([one.runDue(h.clock.now()), two.runDue(h.clock.now()), f.scheduler.runDue(h.clock.now())]);
    const ledger = await finesOf('2026-11');
    expect(ledger.agents[0].fines).toHaveLength(1);
    expect(adminAlerts()).toHaveLength(1);
    const jobs = (await h.api.get(`/api/callbacks/${cb.id}`)).body.jobs;
    expect(jobs.map((j: { kind: string; runs: number }) => [j.kind, j.runs])).toEqual([
      ['notify', 1],
      ['remind', 1],
      ['deadline', 1],
    ]);
  });

  it("puts each lapse on the ladder by when it lapsed, whatever the order it is judged in: a later deadline judged first moves up a step when the earlier one is judged", async () => {
    const first = await missedCallFrom('+8613911110001');
    h.clock.advance(5 * 60);
    const second = await missedCallFrom('+8613911110002');
    const { scheduler } = featureOf(h);
    // The other jobs (texts to the owner) out of the way, before either deadline.
    await scheduler.runDue(h.clock.now());
    h.clock.set(new Date(Date.parse(second.dueAt) + MIN));
    // Another instance has taken the first deadline and is still on it (its lease runs on).
    await h.container.db.query(
      `UPDATE callback_jobs SET status = 'running', runs = runs + 1, lease_until = $2 WHERE callback_id = $1 AND kind = 'deadline'`,
      [first.id, new Date(h.clock.now().getTime() + 10 * MIN)],
    );
    await scheduler.runDue(h.clock.now());
    const amounts = async () => {
      const mine = (await finesOf('2026-11')).agents[0];
      return Object.fromEntries(mine.fines.map((f: { callbackId: string; amount: number }) => [f.callbackId, f.amount]));
    };
    expect(await amounts()).toEqual({ [second.id]: 20 });

    // That instance died; once its lease is out the first is judged here: the first lapse of the month.
    h.clock.advance(11 * 60);
    await scheduler.runDue(h.clock.now());
    expect(await amounts()).toEqual({ [first.id]: 20, [second.id]: 50 });
    const ordinals = await h.container.db.query<{ callback_id: string; ordinal: number }>('SELECT callback_id, ordinal FROM fines ORDER BY ordinal');
    expect(ordinals.map((r) => [r.callback_id, Number(r.ordinal)])).toEqual([
      [first.id, 1],
      [second.id, 2],
    ]);
  });
});
