import nock from 'nock';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { CallbackFeature } from '../../src/callbacks/callback-feature';
import type { Call } from '../../src/domain/ports';
import { CallEndOutbox, MAX_ATTEMPTS, backoffMs, type CallEndEffectStore } from '../../src/routing/call-end-outbox';
import { PostgresCallEndEffectStore } from '../../src/postgres/call-end-effect-store';
import { CustomerStore } from '../../src/postgres/customer-store';
import { ACCOUNT_SID, HOTLINE, startHotline, TWILIO_API, type Hotline } from '../support/hotline-harness';
import { interceptTwilioRest } from '../support/outbound-call';

const CALLER = '+8613911112222';
const A = '+8613800000001';
/** Longer than the outbox's lease: a runner that went quiet this long is taken for dead. */
const PAST_LEASE_SECONDS = 3 * 60;

describe('the side effects of a call ending (the call-ended outbox)', () => {
  let h: Hotline;
  let effects: PostgresCallEndEffectStore;

  beforeEach(async () => {
    h = await startHotline();
    interceptTwilioRest(TWILIO_API, ACCOUNT_SID);
    await h.api.addAgent('Agent A', A);
    effects = new PostgresCallEndEffectStore(h.container.db);
  });
  afterEach(async () => {
    vi.restoreAllMocks();
    nock.cleanAll();
    await h.close();
  });

  const callbacksFeature = () => h.container.features.find((f) => f.name === 'callbacks') as CallbackFeature;
  const callbacks = async () => (await h.api.get('/api/callbacks')).body.callbacks as { id: string; callIds: string[]; status: string }[];
  const missedCall = async (): Promise<Call> => {
    const t = await h.twilio.placeCall({ from: CALLER, to: HOTLINE, agents: { [A]: { does: 'ring-out' } } });
    return (await h.container.calls.getCallBySid(t.callSid))!;
  };
  const effectOf = async (call: Call, name: string) => (await effects.effectsOf(call.id)).find((e) => e.effect === name)!;
  /** The callback store refuses to open a callback `times` times, as a database that dropped the connection. */
  const callbackOpenFails = (times: number) => {
    const store = callbacksFeature().callbacks;
    const open = store.open.bind(store);
    store.open = async (...args) => {
      if (times-- > 0) throw new Error('connection terminated unexpectedly');
      return open(...args);
    };
  };

  it('a missed caller whose callback failed to open still gets exactly one, once the retry loop runs', async () => {
    callbackOpenFails(1);
    const call = await missedCall();
    expect(call.outcome).toBe('missed');
    expect(await callbacks()).toEqual([]);
    const failed = await effectOf(call, 'callbacks');
    expect(failed).toMatchObject({ status: 'pending', attempts: 1, lastError: 'connection terminated unexpectedly' });
    // The other effects of the same end went ahead.
    expect(await effectOf(call, 'customer-file')).toMatchObject({ status: 'done', attempts: 1 });
    expect(await effectOf(call, 'notes-sms')).toMatchObject({ status: 'done', attempts: 1 });

    h.clock.set(new Date(failed.nextAttemptAt.getTime() - 1000));
    expect(await h.container.callEnds.retryDue()).toBe(0); // not yet: it backs off
    h.clock.set(failed.nextAttemptAt);
    expect(await h.container.callEnds.retryDue()).toBe(1);
    expect(await effectOf(call, 'callbacks')).toMatchObject({ status: 'done', attempts: 2 });
    const [cb, ...others] = await callbacks();
    expect(others).toEqual([]);
    expect(cb).toMatchObject({ callIds: [call.id], status: 'open' });

    h.clock.advance(3600);
    expect(await h.container.callEnds.retryDue()).toBe(0);
    expect(await callbacks()).toHaveLength(1);
  });

  it('an effect whose runner died after doing its work and before marking it runs again, and changes nothing', async () => {
    callbackOpenFails(1);
    const call = await missedCall();
    h.clock.set((await effectOf(call, 'callbacks')).nextAttemptAt);
    // Another instance takes the retry, opens the callback, and dies before it can mark it done.
    const dying: CallEndEffectStore = Object.assign(Object.create(effects) as PostgresCallEndEffectStore, {
      done: async () => {
        throw new Error('instance killed');
      },
    });
    const other = new CallEndOutbox({ effects: dying, calls: h.container.calls, listeners: [...h.container.callEnds.listeners], clock: h.clock, logger: h.container.logger });
    expect(await other.retryDue()).toBe(1);
    expect(await callbacks()).toHaveLength(1);
    expect(await effectOf(call, 'callbacks')).toMatchObject({ status: 'running', attempts: 2 });

    // Held by its lease meanwhile; then taken again, and the callback is not counted twice.
    expect(await h.container.callEnds.retryDue()).toBe(0);
    h.clock.advance(PAST_LEASE_SECONDS);
    expect(await h.container.callEnds.retryDue()).toBe(1);
    expect(await effectOf(call, 'callbacks')).toMatchObject({ status: 'done', attempts: 3 });
    const [cb, ...others] = await callbacks();
    expect(others).toEqual([]);
    expect(cb!.callIds).toEqual([call.id]);

    // Still one callback when the effect runs again after the callback was returned.
    await callbacksFeature().callbacks.closeForCaller(CALLER, call.id, h.clock.now());
    await callbacksFeature().service.callEnded(call);
    expect(await callbacks()).toHaveLength(1);
    // Filing the call twice makes one customer file.
    const customers = new CustomerStore(h.container.db);
    await customers.linkCall({ ...call, customerId: null }, 7, h.clock.now());
    await customers.linkCall({ ...call, customerId: null }, 7, h.clock.now());
    const files = await h.container.db.query<{ n: string | number }>('SELECT count(*) AS n FROM customers WHERE phone = $1', [CALLER]);
    expect(Number(files[0]!.n)).toBe(1);
  });

  it('a listener that keeps failing is retried with backoff, given up loudly after the last attempt, and holds up no other effect', async () => {
    let failingRuns = 0;
    const after: string[] = [];
    h.container.hotline.addListener({
      name: 'always-fails',
      callEnded: async () => {
        failingRuns++;
        throw new Error('downstream refused');
      },
    });
    h.container.hotline.addListener({ name: 'after-it', callEnded: async (call) => void after.push(call.id) });
    const errors = vi.spyOn(h.container.logger, 'error');

    const call = await missedCall();
    expect(after).toEqual([call.id]);
    expect(await callbacks()).toHaveLength(1);
    for (const name of ['callbacks', 'customer-file', 'notes-sms', 'after-it']) expect(await effectOf(call, name)).toMatchObject({ status: 'done', attempts: 1 });

    for (let attempt = 2; attempt <= MAX_ATTEMPTS; attempt++) {
      const before = await effectOf(call, 'always-fails');
      expect(before).toMatchObject({ status: 'pending', attempts: attempt - 1 });
      h.clock.set(new Date(before.nextAttemptAt.getTime() - 1000));
      expect(await h.container.callEnds.retryDue()).toBe(0);
      h.clock.set(before.nextAttemptAt);
      expect(await h.container.callEnds.retryDue()).toBe(1);
      const now = await effectOf(call, 'always-fails');
      if (attempt < MAX_ATTEMPTS) expect(now.nextAttemptAt.getTime() - h.clock.now().getTime()).toBe(backoffMs(attempt));
    }
    expect(await effectOf(call, 'always-fails')).toMatchObject({ status: 'failed', attempts: MAX_ATTEMPTS, lastError: 'downstream refused' });
    expect(failingRuns).toBe(MAX_ATTEMPTS);
    expect(await effects.failedCount()).toBe(1);
    expect(errors.mock.calls.map(([message]) => String(message)).filter((m) => m.includes('gave up'))).toHaveLength(1);

    h.clock.advance(24 * 3600);
    expect(await h.container.callEnds.retryDue()).toBe(0);
    expect(failingRuns).toBe(MAX_ATTEMPTS);
    expect(after).toEqual([call.id]);
  });

  it('a second end of the same call writes no second effect and runs nothing again', async () => {
    const ran: string[] = [];
    h.container.hotline.addListener({ name: 'counts', callEnded: async (call) => void ran.push(call.id) });
    const call = await missedCall();
    const first = await effects.effectsOf(call.id);
    expect(first.map((e) => e.effect)).toEqual(['callbacks', 'counts', 'customer-file', 'notes-sms']);

    expect(await h.container.calls.endCall(call.id, { outcome: 'abandoned', at: h.clock.now(), endedBy: 'caller' })).toBeNull();
    await h.twilio.callStatus(call.callSid, 'completed');
    h.clock.advance(3600);
    expect(await h.container.callEnds.retryDue()).toBe(0);

    expect(await effects.effectsOf(call.id)).toEqual(first);
    expect(ran).toEqual([call.id]);
    expect(await callbacks()).toHaveLength(1);
  });

  it('two instances retrying at once run each due effect once', async () => {
    callbackOpenFails(1);
    let flakyRuns = 0;
    h.container.hotline.addListener({
      name: 'flaky',
      callEnded: async () => {
        if (++flakyRuns === 1) throw new Error('timeout');
        // Slow enough for the other instance to look while this one runs.
        await new Promise((r) => setTimeout(r, 30));
      },
    });
    const call = await missedCall();
    expect(flakyRuns).toBe(1);
    h.clock.advance(60);

    const second = new CallEndOutbox({
      effects: new PostgresCallEndEffectStore(h.container.db),
      calls: h.container.calls,
      listeners: [...h.container.callEnds.listeners],
      clock: h.clock,
      logger: h.container.logger,
    });
    const ran = await Promise.all([h.container.callEnds.retryDue(), second.retryDue(), h.container.callEnds.retryDue(), second.retryDue()]);
    expect(ran.reduce((a, b) => a + b, 0)).toBe(2);
    expect(flakyRuns).toBe(2);
    expect(await effectOf(call, 'flaky')).toMatchObject({ status: 'done', attempts: 2 });
    expect(await effectOf(call, 'callbacks')).toMatchObject({ status: 'done', attempts: 2 });
    const [cb, ...others] = await callbacks();
    expect(others).toEqual([]);
    expect(cb!.callIds).toEqual([call.id]);
  });
});
