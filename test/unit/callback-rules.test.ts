import { describe, expect, it } from 'vitest';
import { answeredByMachine, breachesR4, chooseOwner, dayOwner, jobsFor, lapsed, legOutcome, ringDuration, statusAfterAttempt, statusAfterOwnerHungUp } from '../../src/domain/callback-rules';
import type { RingAttempt } from '../../src/domain/ports';

const at = (iso: string) => new Date(iso);
const attempt = (seq: number, agentId: string, o: Partial<RingAttempt>): RingAttempt => ({
  id: `a${seq}`,
  callId: 'c',
  seq,
  agentId,
  endpoint: '+8613800000000',
  childCallSid: null,
  offeredAt: at('2026-11-23T02:00:00Z'),
  initiatedAt: null,
  ringingAt: null,
  answeredAt: null,
  screenedAt: null,
  apologyCued: false,
  acceptedAt: null,
  ringSeconds: null,
  outcome: null,
  dialCallStatus: null,
  finishedAt: null,
  ...o,
});
const rang = { ringingAt: at('2026-11-23T02:00:01Z'), outcome: 'no-answer' as const, finishedAt: at('2026-11-23T02:00:15Z') };
const rule = { answerThresholdSeconds: 10, callEndedAt: at('2026-11-23T02:01:00Z') };
const owner = (attempts: RingAttempt[], o: Partial<Parameters<typeof chooseOwner>[0]> = {}) =>
  chooseOwner({ window: 'day', attempts, rotationAgentIds: ['X', 'Y'], rotation: 0, ...rule, ...o });

describe('who owns a callback', () => {
  it('by day, the first agent whose phone rang at least the answer threshold and who did not take it', () => {
    const attempts = [attempt(1, 'B', rang), attempt(0, 'A', { outcome: 'busy' }), attempt(2, 'C', rang)];
    expect(owner(attempts)).toBe('B');
  });

  it('not an agent whose phone rang only briefly before the caller hung up: the rotation decides', () => {
    const brief = attempt(0, 'A', { ringingAt: at('2026-11-23T02:00:01Z'), outcome: 'caller-gone', finishedAt: at('2026-11-23T02:00:02Z') });
    expect(owner([brief])).toBe('X');
    expect(owner([brief], { rotation: 1 })).toBe('Y');
  });

  it('measures the ring from the ringing Timestamp to the end of the attempt: the threshold itself counts, a second less does not', () => {
    const ringFor = (s: number) => attempt(0, 'A', { ringingAt: at('2026-11-23T02:00:00Z'), outcome: 'caller-gone', finishedAt: new Date(at('2026-11-23T02:00:00Z').getTime() + s * 1000) });
    expect(ringDuration(ringFor(10), rule.callEndedAt)).toBe(10);
    expect(owner([ringFor(10)])).toBe('A');
    expect(owner([ringFor(9)])).toBe('X');
    expect(owner([ringFor(9)], { answerThresholdSeconds: 8 })).toBe('A');
  });

  it('ends the ring when the phone was picked up: a caller who left during the whisper after a quick pick-up is nobody’s miss', () => {
    const pickedUp = (s: number) => attempt(0, 'A', { ringingAt: at('2026-11-23T02:00:01Z'), answeredAt: new Date(at('2026-11-23T02:00:01Z').getTime() + s * 1000), outcome: 'caller-gone', finishedAt: at('2026-11-23T02:00:30Z') });
    expect(owner([pickedUp(3)])).toBe('X');
    expect(owner([pickedUp(12)])).toBe('A');
  });

  it('counts a phone whose voicemail or holder turned the whisper away, however soon, and one never dialled (callback pressed) as not', () => {
    const attempts = [attempt(0, 'A', { outcome: 'callback-requested', finishedAt: at('2026-11-23T02:00:30Z') }), attempt(1, 'B', { answeredAt: at('2026-11-23T02:00:03Z'), screenedAt: at('2026-11-23T02:00:03Z'), outcome: 'rejected-by-screen' })];
    expect(owner(attempts)).toBe('B');
    // A whisper that never played (our failure) is no refusal: only the ring counts.
    expect(owner([attempt(0, 'B', { ringingAt: at('2026-11-23T02:00:01Z'), answeredAt: at('2026-11-23T02:00:03Z'), outcome: 'rejected-by-screen', finishedAt: at('2026-11-23T02:00:04Z') })])).toBe('X');
  });

  it('never an agent who took it, was busy, failed, or was withdrawn, however long ago they were offered', () => {
    const long = { offeredAt: at('2026-11-23T01:59:00Z'), finishedAt: at('2026-11-23T02:00:30Z') };
    for (const outcome of ['accepted', 'not-bridged', 'busy', 'failed', 'withdrawn', 'callback-requested'] as const) expect(owner([attempt(0, 'A', { ...long, outcome })]), outcome).toBe('X');
    expect(owner([attempt(0, 'A', { ...long, ringingAt: long.offeredAt, acceptedAt: at('2026-11-23T02:00:12Z'), outcome: null })])).toBe('X');
  });

  it('decides the same whatever order the attempts and their events were recorded in', () => {
    const a = attempt(0, 'A', { ringingAt: at('2026-11-23T02:00:01Z'), outcome: 'no-answer', finishedAt: at('2026-11-23T02:00:03Z') });
    const b = attempt(1, 'B', rang);
    expect(owner([a, b])).toBe('B');
    expect(owner([b, a])).toBe('B');
    // The ringing event not in yet: the ring is measured from the offer, a post-dial delay longer.
    const noEvents = (x: RingAttempt): RingAttempt => ({ ...x, ringingAt: null, initiatedAt: null, offeredAt: new Date(x.ringingAt!.getTime() - 1000) });
    expect(owner([noEvents(a), b])).toBe('B');
    expect(owner([a, noEvents(b)])).toBe('B');
    // Not finished yet when the call ended: it rang until the end of the call.
    expect(owner([{ ...a, finishedAt: null, outcome: null }])).toBe('A');
  });

  it('by night, or when nobody owns the miss, the next agent in the rotation', () => {
    expect(chooseOwner({ window: 'night', attempts: [attempt(0, 'A', rang)], rotationAgentIds: ['X', 'Y', 'Z'], rotation: 4, ...rule })).toBe('Y');
    expect(owner([attempt(0, 'A', { outcome: 'busy' })], { rotation: 1 })).toBe('Y');
    expect(dayOwner([attempt(0, 'A', { outcome: 'busy' })], rule)).toBeNull();
    expect(chooseOwner({ window: 'night', attempts: [], rotationAgentIds: [], rotation: 3, ...rule })).toBeNull();
  });
});

describe('a lapsed deadline', () => {
  const due = at('2026-11-23T04:00:00Z');
  const base = { dueAt: due, firstAttemptAt: null, doneAt: null, closedAt: null };

  it('is not judged before the deadline', () => {
    expect(lapsed(base, at('2026-11-23T03:59:59Z'))).toBe(false);
  });
  it('lapses with no dial of the customer by the deadline', () => {
    expect(lapsed(base, due)).toBe(true);
    expect(lapsed({ ...base, firstAttemptAt: at('2026-11-23T04:00:01Z') }, at('2026-11-23T05:00:00Z'))).toBe(true);
  });
  it('does not lapse when the customer was dialled, even unanswered, by the deadline', () => {
    expect(lapsed({ ...base, firstAttemptAt: due }, at('2026-11-23T05:00:00Z'))).toBe(false);
  });
  it('does not lapse when the caller got through on their own first', () => {
    expect(lapsed({ ...base, closedAt: at('2026-11-23T03:00:00Z') }, at('2026-11-23T05:00:00Z'))).toBe(false);
  });
  it('breaks R4 only past 24 hours from the first call', () => {
    const c = { ...base, firstCallAt: at('2026-11-23T14:00:00Z') };
    expect(breachesR4(c, 24, at('2026-11-24T13:59:59Z'))).toBe(false);
    expect(breachesR4(c, 24, at('2026-11-24T14:00:00Z'))).toBe(true);
    expect(breachesR4({ ...c, firstAttemptAt: at('2026-11-24T09:00:00Z') }, 24, at('2026-11-25T00:00:00Z'))).toBe(false);
  });
});

describe('the jobs of a new callback', () => {
  it('texts now, reminds 30 minutes before, judges at the deadline; night ones are checked at 24 h', () => {
    const createdAt = at('2026-11-23T14:00:00Z');
    const jobs = jobsFor({ createdAt, firstCallAt: createdAt, dueAt: at('2026-11-24T02:00:00Z'), window: 'night', reminderMinutes: 30, maxHours: 24 });
    expect(jobs).toEqual([
      { kind: 'notify', runAt: createdAt },
      { kind: 'remind', runAt: at('2026-11-24T01:30:00Z') },
      { kind: 'deadline', runAt: at('2026-11-24T02:00:00Z') },
      { kind: 'r4', runAt: at('2026-11-24T14:00:00Z') },
    ]);
  });
  it('skips a reminder that would come before the callback exists', () => {
    const createdAt = at('2026-11-23T02:00:00Z');
    const kinds = jobsFor({ createdAt, firstCallAt: createdAt, dueAt: at('2026-11-23T02:20:00Z'), window: 'day', reminderMinutes: 30, maxHours: 24 }).map((j) => j.kind);
    expect(kinds).toEqual(['notify', 'deadline']);
  });
});

describe('after an attempt', () => {
  it('is done when the customer answered, unreachable after the last failed dial, unchanged by an owner miss', () => {
    expect(statusAfterAttempt('connected', 0, 3, 'attempted')).toBe('done');
    expect(statusAfterAttempt('customer-no-answer', 1, 3, 'attempted')).toBe('attempted');
    expect(statusAfterAttempt('customer-busy', 3, 3, 'attempted')).toBe('unreachable');
    expect(statusAfterAttempt('owner-no-answer', 0, 3, 'open')).toBe('open');
    expect(statusAfterAttempt('connected', 0, 3, 'closed')).toBe('closed');
  });
  it('is back where it was when the owner hung up before the customer was dialled: not a failed try', () => {
    expect(statusAfterAttempt('owner-hung-up', 2, 3, 'attempted')).toBe('attempted');
    expect(statusAfterOwnerHungUp('attempted', false)).toBe('open');
    expect(statusAfterOwnerHungUp('attempted', true)).toBe('attempted');
    expect(statusAfterOwnerHungUp('open', false)).toBe('open');
    expect(statusAfterOwnerHungUp('closed', false)).toBe('closed');
  });
  it('reads Twilio final statuses per leg', () => {
    expect(legOutcome('owner', 'no-answer')).toBe('owner-no-answer');
    expect(legOutcome('customer', 'busy')).toBe('customer-busy');
    expect(legOutcome('customer', 'completed')).toBeNull();
  });
});

describe('what answered the customer on a callback', () => {
  it('takes voicemail and fax as no callback, and a person or an unsure detection as one', () => {
    for (const m of ['machine_start', 'machine_end_beep', 'machine_end_silence', 'machine_end_other', 'fax']) expect(answeredByMachine(m)).toBe(true);
    for (const p of ['human', 'unknown', null, undefined]) expect(answeredByMachine(p)).toBe(false);
  });
});
