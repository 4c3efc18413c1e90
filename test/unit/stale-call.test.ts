import { describe, expect, it } from 'vitest';
import { decideFromRecord, decideFromTwilio, type StaleCall } from '../../src/domain/stale-call';

const t = (s: number) => new Date(Date.UTC(2026, 10, 23, 4, 0, 0) + s * 1000);
const rules = { graceSeconds: 120, maxTalkSeconds: 3600 };
/** Accepted at 0 s, looked at 10 minutes later. */
const call: StaleCall = { acceptedAt: t(0), now: t(600) };

describe('settling a connected call from the record', () => {
  it('asks Twilio when neither leg is recorded as over', () => {
    expect(decideFromRecord({}, call, rules)).toEqual({ kind: 'ask-twilio' });
  });

  it('ends at the agent leg when the agent hung up first, the caller later', () => {
    expect(decideFromRecord({ caller: { at: t(95) }, agent: { at: t(90) } }, call, rules)).toEqual({
      kind: 'settle',
      at: t(90),
      endedBy: 'agent',
      neverBridged: false,
      basis: 'record',
    });
  });

  it('gives the end to the caller when their leg ended first or in the same second', () => {
    expect(decideFromRecord({ caller: { at: t(89) }, agent: { at: t(90) } }, call, rules)).toMatchObject({ at: t(89), endedBy: 'caller' });
    expect(decideFromRecord({ caller: { at: t(90) }, agent: { at: t(90) } }, call, rules)).toMatchObject({ at: t(90), endedBy: 'caller' });
  });

  it('settles from one leg alone', () => {
    expect(decideFromRecord({ agent: { at: t(90) } }, call, rules)).toMatchObject({ at: t(90), endedBy: 'agent', neverBridged: false });
    expect(decideFromRecord({ caller: { at: t(90) } }, call, rules)).toMatchObject({ at: t(90), endedBy: 'caller', neverBridged: false });
  });

  it('finds a caller gone at or before the key press never put through', () => {
    for (const gone of [t(-3), t(0)]) {
      expect(decideFromRecord({ caller: { at: gone } }, call, rules)).toEqual({ kind: 'settle', at: gone, endedBy: 'caller', neverBridged: true, basis: 'record' });
    }
  });

  it('never ends a talk before it began', () => {
    expect(decideFromRecord({ agent: { at: t(-1) } }, call, rules)).toMatchObject({ at: t(0), endedBy: 'agent', neverBridged: false });
  });

  it('waits while an end is younger than the grace: its Dial action may still come', () => {
    expect(decideFromRecord({ agent: { at: t(481) } }, call, rules)).toEqual({ kind: 'wait', reason: 'dial-action-may-come' });
    expect(decideFromRecord({ agent: { at: t(480) } }, call, rules)).toMatchObject({ kind: 'settle', at: t(480) });
  });
});

describe('settling a connected call from what Twilio says', () => {
  it('applies the same rule to the legs Twilio reports over', () => {
    expect(decideFromTwilio({ kind: 'legs', caller: { at: t(300) }, agent: { at: t(301) } }, call, rules)).toEqual({
      kind: 'settle',
      at: t(300),
      endedBy: 'caller',
      neverBridged: false,
      basis: 'twilio',
    });
    // The caller is still on the line (a fallback, the rating), but the talk with the agent is over.
    expect(decideFromTwilio({ kind: 'legs', caller: 'live', agent: { at: t(200) } }, call, rules)).toMatchObject({ at: t(200), endedBy: 'agent' });
    expect(decideFromTwilio({ kind: 'legs', caller: { at: t(200) }, agent: null }, call, rules)).toMatchObject({ at: t(200), endedBy: 'caller' });
  });

  it('takes an end Twilio did not time as now', () => {
    expect(decideFromTwilio({ kind: 'legs', caller: { at: null }, agent: null }, call, rules)).toMatchObject({ kind: 'settle', at: call.now });
  });

  it('leaves a call whose legs are live alone until the time limit has cut it', () => {
    const live = { kind: 'legs', caller: 'live', agent: 'live' } as const;
    expect(decideFromTwilio(live, call, rules)).toEqual({ kind: 'wait', reason: 'talking' });
    expect(decideFromTwilio(live, { acceptedAt: t(0), now: t(3600 + 119) }, rules)).toEqual({ kind: 'wait', reason: 'talking' });
    expect(decideFromTwilio(live, { acceptedAt: t(0), now: t(3600 + 120) }, rules)).toEqual({
      kind: 'settle',
      at: t(3600),
      endedBy: 'agent',
      neverBridged: false,
      basis: 'time-limit',
    });
  });

  it('ends a call Twilio does not know now', () => {
    expect(decideFromTwilio({ kind: 'unknown-call' }, call, rules)).toEqual({ kind: 'settle', at: call.now, endedBy: 'agent', neverBridged: false, basis: 'unknown-to-twilio' });
  });

  it('waits when Twilio cannot be asked, but not past the time limit', () => {
    expect(decideFromTwilio({ kind: 'unreachable' }, call, rules)).toEqual({ kind: 'wait', reason: 'twilio-unreachable' });
    expect(decideFromTwilio({ kind: 'unreachable' }, { acceptedAt: t(0), now: t(4000) }, rules)).toMatchObject({ kind: 'settle', at: t(3600), basis: 'time-limit' });
  });
});
