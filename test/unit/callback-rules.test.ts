import { describe, expect, it } from 'vitest';
import { answeredByMachine, breachesR4, chooseOwner, jobsFor, lapsed, legOutcome, statusAfterAttempt } from '../../src/domain/callback-rules';
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
const rang = { ringingAt: at('2026-11-23T02:00:01Z'), outcome: 'no-answer' as const };

describe('who owns a callback', () => {
  it('by day, the first agent whose phone rang and who did not take it', () => {
    const attempts = [attempt(1, 'B', rang), attempt(0, 'A', { outcome: 'busy' }), attempt(2, 'C', rang)];
    expect(chooseOwner({ window: 'day', attempts, rotationAgentIds: ['X', 'Y'], rotation: 0 })).toBe('B');
  });

  it('counts a phone that voicemail picked up as rung, and one never dialled (callback pressed) as not', () => {
    const attempts = [attempt(0, 'A', { outcome: 'callback-requested' }), attempt(1, 'B', { answeredAt: at('2026-11-23T02:00:03Z'), outcome: 'rejected-by-screen' })];
    expect(chooseOwner({ window: 'day', attempts, rotationAgentIds: ['X'], rotation: 0 })).toBe('B');
  });

  it('by night, or when nobody was rung, the next agent in the rotation', () => {
    expect(chooseOwner({ window: 'night', attempts: [attempt(0, 'A', rang)], rotationAgentIds: ['X', 'Y', 'Z'], rotation: 4 })).toBe('Y');
    expect(chooseOwner({ window: 'day', attempts: [attempt(0, 'A', { outcome: 'busy' })], rotationAgentIds: ['X', 'Y'], rotation: 1 })).toBe('Y');
    expect(chooseOwner({ window: 'night', attempts: [], rotationAgentIds: [], rotation: 3 })).toBeNull();
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
