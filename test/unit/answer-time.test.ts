import { describe, expect, it } from 'vitest';
import { dialTimeoutFor, owesApology, parseTwilioTimestamp, ringSeconds, waitSeconds, withinAnswerRule } from '../../src/domain/answer-time';
import { attemptOutcomeFromDial, callerHasLeft } from '../../src/domain/call-states';

const t = (s: number) => new Date(Date.UTC(2026, 10, 23, 4, 0, s));

describe('answer time against the 10-second rule', () => {
  it('measures ring time from ringing to pick-up, falling back to initiated', () => {
    expect(ringSeconds({ initiatedAt: t(0), ringingAt: t(1), answeredAt: t(7) })).toBe(6);
    expect(ringSeconds({ initiatedAt: t(0), ringingAt: null, answeredAt: t(7) })).toBe(7);
    expect(ringSeconds({ initiatedAt: t(0), ringingAt: t(1), answeredAt: null })).toBeNull();
  });

  it('judges a wait of exactly 10 s as within the rule and 10.5 s as not', () => {
    expect(withinAnswerRule(waitSeconds(t(0), t(10)), 10)).toBe(true);
    expect(withinAnswerRule(waitSeconds(t(0), new Date(t(10).getTime() + 500)), 10)).toBe(false);
  });

  it('asks for an apology only once the caller waited past the threshold', () => {
    expect(owesApology(t(0), t(10), 10)).toBe(false);
    expect(owesApology(t(0), t(11), 10)).toBe(true);
  });

  it('asks Twilio for 5 s less than the wanted ring, never below its minimum of 5', () => {
    expect(dialTimeoutFor(15, 60)).toBe(10);
    expect(dialTimeoutFor(15, 12)).toBe(7);
    expect(dialTimeoutFor(15, 3)).toBe(5);
  });

  it('reads Twilio RFC 2822 timestamps and falls back on garbage', () => {
    expect(parseTwilioTimestamp('Mon, 23 Nov 2026 04:00:07 +0000', t(99))).toEqual(t(7));
    expect(parseTwilioTimestamp('yesterday-ish', t(99))).toEqual(t(99));
    expect(parseTwilioTimestamp(undefined, t(99))).toEqual(t(99));
  });
});

describe('how a finished <Dial> is read', () => {
  it('trusts the bridge, not DialCallStatus, to say an agent took the call', () => {
    expect(attemptOutcomeFromDial('completed', true, false)).toBe('accepted');
    expect(attemptOutcomeFromDial('completed', false, false)).toBe('rejected-by-screen');
  });

  it('names each way a leg can fail, and the caller leaving wins', () => {
    expect(attemptOutcomeFromDial('busy', false, false)).toBe('busy');
    expect(attemptOutcomeFromDial('failed', false, false)).toBe('failed');
    expect(attemptOutcomeFromDial('no-answer', false, false)).toBe('no-answer');
    expect(attemptOutcomeFromDial('no-answer', false, true)).toBe('caller-gone');
  });

  it('knows which parent statuses mean the caller is gone', () => {
    expect(callerHasLeft('completed')).toBe(true);
    expect(callerHasLeft('in-progress')).toBe(false);
    expect(callerHasLeft(undefined)).toBe(false);
  });
});
