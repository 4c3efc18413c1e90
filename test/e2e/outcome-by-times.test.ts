import nock from 'nock';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { CallbackFeature } from '../../src/callbacks/callback-feature';
import { find, parseTwiml } from '../../src/simulator/twiml-tree';
import { ACCOUNT_SID, HOTLINE, startHotline, TWILIO_API, type Hotline } from '../support/hotline-harness';
import { randomSid } from '../support/twilio-driver';

const A = '+8613800000001';
const TALKING = '+8613911110001';
const CALLER = '+8613911110002';

interface CallJson {
  id: string;
  callSid: string;
  state: string;
  outcome: string | null;
  missedReason: string | null;
  endedBy: string | null;
  waitSeconds: number | null;
}

/** How long a late handler may take to finish on a busy machine (vi.waitFor polls until then). */
const PATIENCE = { timeout: 15_000, interval: 50 };

/** A gate a store or coordinator method waits at: the test sees it reached, and opens it. */
function gate() {
  let open!: () => void;
  let reached!: () => void;
  let passed!: () => void;
  const opened = new Promise<void>((r) => (open = r));
  const arrived = new Promise<void>((r) => (reached = r));
  /** The held-up method has run, after the gate opened. */
  const done = new Promise<void>((r) => (passed = r));
  return {
    open,
    arrived,
    done,
    passed,
    async pass() {
      reached();
      await opened;
    },
  };
}

/**
 * Missed or abandoned is decided by who left first by the clock (src/domain/who-left-first.ts),
 * whichever request arrives first: the waiting line's sweep against the caller's late hang-up,
 * and the webhook deadline's fallback answer against a status callback that overtakes the slow
 * handler. Every request is signed as Twilio signs it; the clock is the test's.
 */
describe('an outcome on record is the one the caller lived', () => {
  let h: Hotline;
  const hook = (path: string) => h.twilio.url(`/webhooks/voice/${path}`);
  const callOf = async (sid: string): Promise<CallJson> => (await h.api.get('/api/calls')).body.calls.find((c: CallJson) => c.callSid === sid);
  const stamp = (secondsFromStart: number, start: Date) => new Date(start.getTime() + secondsFromStart * 1000).toUTCString();
  const hangUp = (sid: string, at: string) => h.twilio.post(hook('status'), { CallSid: sid, CallStatus: 'completed', Timestamp: at });
  const callbacksOf = async (phone: string) => (await h.api.get('/api/callbacks')).body.callbacks.filter((c: { phone: string }) => c.phone === phone);
  const figures = async () => (await h.api.get('/api/analytics/summary?from=2026-11-23T00:00:00Z&to=2026-11-24T00:00:00Z')).body;

  afterEach(async () => {
    await h.close();
  });

  describe('when the waiting line\'s sweep ends a wait', () => {
    let redirects: { sid: string; url: string }[];
    let start: Date;
    let waiting: string;

    /** Agent A is talking; a second caller waits in line, and 52 s in the sweep sends them to the end of their wait (60 s). */
    async function waitRunsOut(): Promise<string> {
      h = await startHotline();
      redirects = [];
      const account = `/2010-04-01/Accounts/${ACCOUNT_SID}`;
      nock(TWILIO_API).persist().post(`${account}/Messages.json`).reply(201, { sid: randomSid('SM'), status: 'queued' });
      // Twilio accepts the move: the caller was still on the line when it landed.
      nock(TWILIO_API)
        .persist()
        .post(new RegExp(`^${account}/Calls/CA[0-9a-f]{32}\\.json$`))
        .reply((uri, body) => {
          redirects.push({ sid: /Calls\/(CA[0-9a-f]{32})/.exec(uri)![1]!, url: new URLSearchParams(String(body)).get('Url')! });
          return [200, { status: 'in-progress' }];
        });
      await h.api.addAgent('Agent A', A);
      const talking = randomSid();
      const rung = await h.twilio.post(hook('incoming'), { CallSid: talking, From: TALKING, To: HOTLINE });
      const attempt = /attempt=([0-9a-f-]{36})/.exec(rung.text)![1]!;
      const child = randomSid();
      await h.twilio.post(hook(`screen?attempt=${attempt}`), { CallSid: child });
      await h.twilio.post(hook(`screen-result?attempt=${attempt}`), { CallSid: child, Digits: '1' });

      start = h.clock.now();
      waiting = randomSid();
      const held = await h.twilio.post(hook('incoming'), { CallSid: waiting, From: CALLER, To: HOTLINE });
      expect(find(parseTwiml(held.text), 'Redirect')!.text).toContain('recheck=1');
      h.clock.advance(52);
      await h.container.hotline.sweepLines();
      expect(redirects.map((r) => r.sid)).toEqual([waiting]);
      // The moved caller's leg asks for its new document: the apology, the wait is over.
      const ended = await h.twilio.post(redirects[0]!.url, { CallSid: waiting, CallStatus: 'in-progress' });
      expect(ended.text).toContain('非常抱歉');
      expect(await callOf(waiting)).toMatchObject({ outcome: 'missed', missedReason: 'max-wait', endedBy: 'system' });
      return waiting;
    }

    it('a caller who hung up before the sweep turned them away, their status arriving after it, is abandoned, counted once', async () => {
      const sid = await waitRunsOut();
      // They hung up 50 s in, before the sweep turned them away at 52 s; Twilio's status callback
      // comes 20 s late, and twice.
      h.clock.advance(18);
      expect((await hangUp(sid, stamp(50, start))).status).toBe(204);
      expect((await hangUp(sid, stamp(50, start))).status).toBe(204);
      expect(await callOf(sid)).toMatchObject({ state: 'ended', outcome: 'abandoned', missedReason: null, endedBy: 'caller', waitSeconds: 50 });
      expect(await figures()).toMatchObject({ missed: 0, abandoned: 1 });
      // The caller is owed one callback all the same, holding this call once.
      const [callback, ...more] = await callbacksOf(CALLER);
      expect(more).toEqual([]);
      expect(callback.callIds).toEqual([(await callOf(sid)).id]);
    });

    it('a caller who hangs up during the goodbye, or is still there at the wait limit, stays missed (max-wait)', async () => {
      const sid = await waitRunsOut();
      h.clock.advance(18);
      await hangUp(sid, stamp(55, start));
      expect(await callOf(sid)).toMatchObject({ outcome: 'missed', missedReason: 'max-wait', endedBy: 'system' });
      expect(await figures()).toMatchObject({ missed: 1, abandoned: 0 });
      expect(await callbacksOf(CALLER)).toHaveLength(1);
    });
  });

  describe('when the incoming webhook misses its deadline and the caller hears the fallback', () => {
    let start: Date;

    async function slowHotline() {
      h = await startHotline({ WEBHOOK_DEADLINE_SECONDS: '1' });
      const account = `/2010-04-01/Accounts/${ACCOUNT_SID}`;
      nock(TWILIO_API).persist().post(`${account}/Messages.json`).reply(201, { sid: randomSid('SM'), status: 'queued' });
      const a = (await h.api.addAgent('Agent A', A)).id;
      start = h.clock.now();
      return a;
    }

    /** Makes `method` of `target` wait at a gate before it runs. */
    function holdUp<T extends object, K extends keyof T>(target: T, method: K) {
      const g = gate();
      const real = (target[method] as (...args: unknown[]) => Promise<unknown>).bind(target);
      (target as Record<K, unknown>)[method] = async (...args: unknown[]) => {
        await g.pass();
        try {
          return await real(...args);
        } finally {
          g.passed();
        }
      };
      return g;
    }

    /** The incoming webhook starts; once its handler waits at `g`, `seconds` pass before the deadline answers. */
    async function arriveSlowly(sid: string, g: { arrived: Promise<void> }, seconds: number) {
      const answer = h.twilio.post(hook('incoming'), { CallSid: sid, From: CALLER, To: HOTLINE });
      await g.arrived;
      h.clock.advance(seconds);
      const res = await answer;
      expect(res.status).toBe(200);
      expect(res.text).toContain('系统暂时出现故障');
      return res;
    }

    it('is missed at once when the call is on record, and the late handler neither rings nor holds an agent', async () => {
      const a = await slowHotline();
      const claim = holdUp(h.container.coordinator, 'claimFirstFree');
      const sid = randomSid();
      await arriveSlowly(sid, claim, 3);
      await vi.waitFor(async () => expect((await callOf(sid)).state).toBe('ended'), PATIENCE);
      // They hang up after the apology; then the slow handler finishes, its answer dropped.
      h.clock.advance(6);
      await hangUp(sid, h.clock.now().toUTCString());
      claim.open();
      await claim.done;
      // It claimed A for a call already over: A is given back, and the call leaves no place in the line.
      await vi.waitFor(async () => expect(await h.container.coordinator.holderOf(a)).toBeNull(), PATIENCE);
      await vi.waitFor(async () => expect(await h.container.coordinator.waitingLines()).toEqual([]), PATIENCE);
      expect(await callOf(sid)).toMatchObject({ outcome: 'missed', missedReason: 'webhook-fallback', endedBy: 'system', waitSeconds: 3 });
      await vi.waitFor(async () => expect(await callbacksOf(CALLER)).toHaveLength(1), PATIENCE);
    });

    it('is missed, not left hunting, when the handler records the call only after the hang-up was reported', async () => {
      await slowHotline();
      const create = holdUp(h.container.calls, 'createCall');
      const sid = randomSid();
      await arriveSlowly(sid, create, 8);
      await hangUp(sid, stamp(13, start));
      create.open();
      await vi.waitFor(async () => expect((await callOf(sid))?.state).toBe('ended'), PATIENCE);
      expect(await callOf(sid)).toMatchObject({ outcome: 'missed', missedReason: 'webhook-fallback', endedBy: 'system', waitSeconds: 8 });
      // The call's end runs its effects just after it is written: the callback follows.
      await vi.waitFor(async () => expect(await callbacksOf(CALLER)).toHaveLength(1), PATIENCE);
    });

    it('corrects an abandon recorded first to missed, and owes the callback a short abandon would not get', async () => {
      await slowHotline();
      const create = holdUp(h.container.calls, 'createCall');
      const claim = holdUp(h.container.coordinator, 'claimFirstFree');
      const sid = randomSid();
      await arriveSlowly(sid, create, 2);
      create.open();
      await claim.arrived;
      // The hang-up, 4 s in (shorter than MIN_ABANDON_SECONDS), is handled while the incoming handler is still stuck.
      h.clock.set(new Date(start.getTime() + 4000));
      await hangUp(sid, stamp(4, start));
      expect(await callOf(sid)).toMatchObject({ outcome: 'abandoned', endedBy: 'caller' });
      expect(await callbacksOf(CALLER)).toHaveLength(0);
      claim.open();
      await vi.waitFor(async () => expect((await callOf(sid)).outcome).toBe('missed'), PATIENCE);
      expect(await callOf(sid)).toMatchObject({ missedReason: 'webhook-fallback', endedBy: 'system', waitSeconds: 2 });
      await vi.waitFor(async () => expect(await callbacksOf(CALLER)).toHaveLength(1), PATIENCE);
      expect(await figures()).toMatchObject({ offered: 1, missed: 1, abandoned: 0 });
    });

    /** A miss by the fallback at 3 s, its callback opened; the caller's hang-up is not in yet. */
    async function missedByTheFallback(): Promise<{ sid: string; claim: ReturnType<typeof gate> }> {
      await slowHotline();
      const claim = holdUp(h.container.coordinator, 'claimFirstFree');
      const sid = randomSid();
      await arriveSlowly(sid, claim, 3);
      await vi.waitFor(async () => expect(await callbacksOf(CALLER)).toMatchObject([{ status: 'open' }]), PATIENCE);
      expect(await callOf(sid)).toMatchObject({ outcome: 'missed', missedReason: 'webhook-fallback', waitSeconds: 3 });
      return { sid, claim };
    }
    const scheduler = () => (h.container.features.find((f) => f.name === 'callbacks') as CallbackFeature).scheduler;
    const fines = async () => (await h.api.get('/api/fines?month=2026-11')).body.agents;

    it('a miss corrected to a misdial (the caller had hung up 2 s in) cancels its callback, on record: no owner text, no fine', async () => {
      const { sid, claim } = await missedByTheFallback();
      // Twilio's status callback, late: the caller had hung up before the apology answered.
      await hangUp(sid, stamp(2, start));
      claim.open();
      await claim.done;
      expect(await callOf(sid)).toMatchObject({ outcome: 'abandoned', endedBy: 'caller', waitSeconds: 2 });
      const [cb] = await callbacksOf(CALLER);
      expect(cb).toMatchObject({ status: 'cancelled', cancelledAt: h.clock.now().toISOString(), cancelledReason: expect.stringContaining('misdial'), callIds: [(await callOf(sid)).id] });
      // Its deadline passes: nobody is texted, reminded or fined for it.
      h.clock.set(new Date(Date.parse(cb.dueAt) + 60_000));
      await scheduler().runDue(h.clock.now());
      expect(await fines()).toEqual([]);
      expect((await h.api.get(`/api/callbacks/${cb.id}`)).body).toMatchObject({ status: 'cancelled', lapsedAt: null });
      // Nor does it count as a callback owed, on time or late, in the month's evaluation.
      const month = (await h.api.get('/api/reports/monthly?month=2026-11')).body;
      expect(month.hotline).toMatchObject({ callbacksOnTime: 0, callbacksLate: 0, callbackRate: null });
      expect(month.agents).toMatchObject([{ callbacksOwned: 0, callbacksLate: 0 }]);
      const jobs = await (h.container.features.find((f) => f.name === 'callbacks') as CallbackFeature).jobs.jobsOf(cb.id);
      expect(jobs.map((j) => j.status)).toEqual(jobs.map(() => 'skipped'));
      expect(await callbacksOf(CALLER)).toHaveLength(1);
    });

    it('a fine already levied for a miss later corrected to a misdial is waived by the system, the reason on record', async () => {
      const { sid, claim } = await missedByTheFallback();
      claim.open();
      await claim.done;
      const [cb] = await callbacksOf(CALLER);
      h.clock.set(new Date(Date.parse(cb.dueAt) + 60_000));
      await scheduler().runDue(h.clock.now());
      expect(await fines()).toMatchObject([{ lapses: 1, total: 20, waivedTotal: 0 }]);
      // The hang-up's status comes in only now (say, replayed after an outage): it was a misdial.
      await hangUp(sid, stamp(2, start));
      expect(await callOf(sid)).toMatchObject({ outcome: 'abandoned', waitSeconds: 2 });
      expect(await callbacksOf(CALLER)).toMatchObject([{ id: cb.id, status: 'cancelled' }]);
      const [agent] = await fines();
      expect(agent).toMatchObject({ lapses: 1, total: 0, waivedTotal: 20 });
      expect(agent.fines[0]).toMatchObject({ callbackId: cb.id, amount: 20, waived: true, waivedBy: 'system', waivedReason: expect.stringContaining('misdial') });
    });

    it('a deadline being judged as the misdial is learnt fines nobody: the ledger sees the callback cancelled', async () => {
      const { sid, claim } = await missedByTheFallback();
      claim.open();
      await claim.done;
      const [cb] = await callbacksOf(CALLER);
      const lapse = holdUp((h.container.features.find((f) => f.name === 'callbacks') as CallbackFeature).fines, 'recordLapse');
      h.clock.set(new Date(Date.parse(cb.dueAt) + 60_000));
      // The scheduler has read the callback as open and is about to write the fine...
      const judging = scheduler().runDue(h.clock.now());
      await lapse.arrived;
      // ...when the hang-up's status shows the call was a misdial.
      await hangUp(sid, stamp(2, start));
      expect(await callbacksOf(CALLER)).toMatchObject([{ status: 'cancelled' }]);
      lapse.open();
      await judging;
      expect(await fines()).toEqual([]);
      expect((await h.api.get(`/api/callbacks/${cb.id}`)).body).toMatchObject({ status: 'cancelled', lapsedAt: null });
    });

    it('a callback that also holds a real miss from the same caller stays owed when the other call turns out a misdial', async () => {
      const first = await missedByTheFallback();
      // The first caller stayed on to hear the apology: a real miss.
      await hangUp(first.sid, stamp(10, start));
      first.claim.open();
      await first.claim.done;
      h.clock.advance(60);
      const again = h.clock.now();
      const claim = holdUp(h.container.coordinator, 'claimFirstFree');
      const sid = randomSid();
      await arriveSlowly(sid, claim, 3);
      await vi.waitFor(async () => expect((await callbacksOf(CALLER))[0].callIds).toHaveLength(2), PATIENCE);
      await hangUp(sid, stamp(2, again));
      claim.open();
      await claim.done;
      expect(await callOf(sid)).toMatchObject({ outcome: 'abandoned', waitSeconds: 2 });
      expect(await callbacksOf(CALLER)).toMatchObject([{ status: 'open', cancelledAt: null, callIds: [(await callOf(first.sid)).id, (await callOf(sid)).id] }]);
    });

    it('stays abandoned when the caller hung up before the fallback answered', async () => {
      await slowHotline();
      const create = holdUp(h.container.calls, 'createCall');
      const sid = randomSid();
      await arriveSlowly(sid, create, 8);
      await hangUp(sid, stamp(5, start));
      create.open();
      await vi.waitFor(async () => expect((await callOf(sid))?.outcome).toBe('abandoned'), PATIENCE);
      expect(await callOf(sid)).toMatchObject({ missedReason: null, endedBy: 'caller', waitSeconds: 5 });
    });
  });
});
