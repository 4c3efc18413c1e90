import type { Clock } from '../domain/clock';
import type { Call, CallStore } from '../domain/ports';
import type { Logger } from '../logger';
import type { CallEndedListener } from './hotline-ports';

/**
 * The call-ended outbox. Each call-ended listener's work on a call (open or close its callback,
 * file its customer, text the notes link) is an effect named after the listener, a row written
 * in the transaction that ends the call (PostgresCallStore.endCall), so one failed query or a
 * crash cannot lose a missed caller's callback.
 *
 * Effect states (call_end_effects.status):
 *   pending  owed and not running; due at next_attempt_at
 *   running  taken by one runner until lease_until; a runner that died lets another take it after
 *   done     the listener finished (done_at)
 *   failed   gave up after MAX_ATTEMPTS: logged as an error, kept with last_error, counted by
 *            PostgresCallEndEffectStore.failedCount()
 *
 * The request that ended the call runs its effects at once, as the listeners always ran, so the
 * normal case is no slower. A failed effect goes back to pending with a backoff and does not hold
 * up the others; every instance's retry loop (retryDue) takes due ones, FOR UPDATE SKIP LOCKED,
 * like the callback jobs. Only the holder of an effect's latest attempt can mark it, so each
 * (call, effect) is finished once. A runner that dies after the listener's work and before marking
 * it done leaves it to run again: every listener must be safe to run twice for one call.
 */

export type EffectStatus = 'pending' | 'running' | 'done' | 'failed';

/** An effect one runner holds: `attempts` counts its claim, the key to finishing it. */
export interface ClaimedEffect {
  callId: string;
  effect: string;
  attempts: number;
}

export interface EffectRecord {
  effect: string;
  status: EffectStatus;
  attempts: number;
  nextAttemptAt: Date;
  lastError: string | null;
  doneAt: Date | null;
}

export interface CallEndEffectStore {
  claimFor(callId: string, effects: readonly string[], leaseUntil: Date): Promise<ClaimedEffect[]>;
  claimDue(effects: readonly string[], now: Date, leaseUntil: Date, limit: number): Promise<ClaimedEffect[]>;
  done(e: ClaimedEffect, at: Date): Promise<boolean>;
  retryLater(e: ClaimedEffect, error: string, retryAt: Date, maxAttempts: number): Promise<'pending' | 'failed' | null>;
}

export interface CallEndOutboxDeps {
  effects: CallEndEffectStore;
  calls: Pick<CallStore, 'getCall'>;
  /** The hotline's listeners, in the order features added them; the same array HotlineService adds to. */
  listeners: CallEndedListener[];
  clock: Clock;
  logger: Logger;
}

/** Attempts before an effect is given up (about an hour of backoff in all). */
export const MAX_ATTEMPTS = 10;
/** Longer than any listener runs: their queries time out after 8 s, an SMS send in seconds. */
const LEASE_MS = 2 * 60_000;
const FIRST_BACKOFF_MS = 15_000;
const MAX_BACKOFF_MS = 15 * 60_000;
const BATCH = 50;

/** How long after its n-th failed attempt an effect is tried again: 15 s, 30 s, 1 min... at most 15 min. */
export function backoffMs(attempts: number): number {
  return Math.min(MAX_BACKOFF_MS, FIRST_BACKOFF_MS * 2 ** Math.max(0, attempts - 1));
}

export class CallEndOutbox {
  /** Background effects (see CallEndedListener.inBackground) still running. */
  private readonly inFlight = new Set<Promise<void>>();

  constructor(private readonly d: CallEndOutboxDeps) {}

  get listeners(): readonly CallEndedListener[] {
    return this.d.listeners;
  }

  /** The effects every call's end is owed: one per listener. */
  names(): string[] {
    return this.d.listeners.map((l) => l.name);
  }

  /**
   * Runs the effects of a call this request has just ended. Never throws: whatever does not
   * finish here stays in the outbox for the retry loop.
   */
  async dispatch(call: Call): Promise<void> {
    let claimed: ClaimedEffect[];
    try {
      claimed = await this.d.effects.claimFor(call.id, this.names(), this.leaseUntil(this.d.clock.now()));
    } catch (err) {
      this.d.logger.error('call-ended effects not run now: the retry loop will run them', { callSid: call.callSid, err });
      return;
    }
    for (const listener of this.d.listeners) {
      const effect = claimed.find((e) => e.effect === listener.name);
      if (!effect) continue;
      const run = this.run(listener, effect, call);
      if (listener.inBackground) this.track(run);
      else await run;
    }
  }

  /** One pass of the retry loop: takes and runs every effect due at `now`; returns how many this instance ran. */
  async retryDue(now: Date = this.d.clock.now()): Promise<number> {
    let ran = 0;
    for (;;) {
      const due = await this.d.effects.claimDue(this.names(), now, this.leaseUntil(now), BATCH);
      for (const effect of due) {
        await this.retryOne(effect);
        ran++;
      }
      if (due.length < BATCH) return ran;
    }
  }

  /** Resolves once the background effects started so far have finished. */
  async settled(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.all([...this.inFlight]);
  }

  private async retryOne(effect: ClaimedEffect): Promise<void> {
    // claimDue only takes names this instance has a listener for.
    const listener = this.d.listeners.find((l) => l.name === effect.effect)!;
    let call: Call | null;
    try {
      call = await this.d.calls.getCall(effect.callId);
    } catch (err) {
      await this.failed(effect, err);
      return;
    }
    if (call) await this.run(listener, effect, call);
    // Unreachable while calls are never deleted (the outbox row references the call).
    else await this.failed(effect, new Error('call not found'));
  }

  private async run(listener: CallEndedListener, effect: ClaimedEffect, call: Call): Promise<void> {
    try {
      await listener.callEnded(call);
    } catch (err) {
      await this.failed(effect, err, call.callSid);
      return;
    }
    try {
      await this.d.effects.done(effect, this.d.clock.now());
    } catch (err) {
      // Its lease runs out and it runs again: the listener is safe to repeat.
      this.d.logger.error('call-ended effect ran but could not be marked done: it will run again', { effect: effect.effect, callSid: call.callSid, err });
    }
  }

  private async failed(effect: ClaimedEffect, err: unknown, callSid?: string): Promise<void> {
    const retryAt = new Date(this.d.clock.now().getTime() + backoffMs(effect.attempts));
    const fields = { effect: effect.effect, callId: effect.callId, callSid, attempts: effect.attempts, err };
    try {
      const state = await this.d.effects.retryLater(effect, err instanceof Error ? err.message : String(err), retryAt, MAX_ATTEMPTS);
      if (state === 'failed') this.d.logger.error(`call-ended effect gave up after ${effect.attempts} attempts: see call_end_effects (status 'failed')`, fields);
      else if (state === 'pending') this.d.logger.error('call-ended effect failed, will retry', { ...fields, retryAt: retryAt.toISOString() });
      else this.d.logger.warn('call-ended effect failed after its claim was lost: its new holder runs it', fields);
    } catch (markErr) {
      // Still running with a lease: taken again once the lease runs out.
      this.d.logger.error('call-ended effect failed and could not be rescheduled: it runs again after its lease', { ...fields, markErr });
    }
  }

  private track(run: Promise<void>): void {
    const p = run.finally(() => this.inFlight.delete(p));
    this.inFlight.add(p);
  }

  private leaseUntil(now: Date): Date {
    return new Date(now.getTime() + LEASE_MS);
  }
}
