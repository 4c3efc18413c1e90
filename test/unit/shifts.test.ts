import { describe, expect, it } from 'vitest';
import { coverageGaps, dutyAt, ownDuty, rosterTimeline, type DutyPlan, type LeaveSpan } from '../../src/domain/shifts';

const SH = { timeZone: 'Asia/Shanghai', holidays: [] as string[] };
const plan = (p: Partial<DutyPlan> = {}): DutyPlan => ({ agentId: 'a', weekly: null, shifts: [], hasShifts: false, ...p });
const at = (iso: string) => new Date(iso);
const NIGHT = [{ day: 1, start: '20:00', end: '08:00' }]; // Monday night into Tuesday

describe('on duty at an instant', () => {
  it('an agent with neither a pattern nor any shift is always on duty; one with only dated shifts is not outside them', () => {
    expect(ownDuty(plan(), at('2026-11-25T19:00:00Z'), SH)).toBe(true);
    expect(ownDuty(plan({ hasShifts: true }), at('2026-11-25T19:00:00Z'), SH)).toBe(false);
  });

  it('a night slot crosses midnight and belongs to the day it starts on (Asia/Shanghai, UTC+8)', () => {
    const p = plan({ weekly: NIGHT });
    // Monday 2026-11-23 19:59 / 20:00 local, Tuesday 03:00 and 07:59 / 08:00 local.
    expect(ownDuty(p, at('2026-11-23T11:59:00Z'), SH)).toBe(false);
    expect(ownDuty(p, at('2026-11-23T12:00:00Z'), SH)).toBe(true);
    expect(ownDuty(p, at('2026-11-23T19:00:00Z'), SH)).toBe(true);
    expect(ownDuty(p, at('2026-11-23T23:59:00Z'), SH)).toBe(true);
    expect(ownDuty(p, at('2026-11-24T00:00:00Z'), SH)).toBe(false);
    // Tuesday night is not in the pattern.
    expect(ownDuty(p, at('2026-11-24T19:00:00Z'), SH)).toBe(false);
  });

  it('reads the pattern in another zone, across a DST change (Europe/Berlin, last Sunday of March)', () => {
    const berlin = { timeZone: 'Europe/Berlin', holidays: [] };
    const p = plan({ weekly: [{ day: 7, start: '22:00', end: '06:00' }] });
    // Sunday 2026-03-29 is the change day: 22:00 CEST = 20:00Z; Monday 06:00 CEST = 04:00Z.
    expect(ownDuty(p, at('2026-03-29T19:59:00Z'), berlin)).toBe(false);
    expect(ownDuty(p, at('2026-03-29T20:00:00Z'), berlin)).toBe(true);
    expect(ownDuty(p, at('2026-03-30T03:59:00Z'), berlin)).toBe(true);
    expect(ownDuty(p, at('2026-03-30T04:00:00Z'), berlin)).toBe(false);
    // A week earlier, still winter time: 22:00 CET = 21:00Z.
    expect(ownDuty(p, at('2026-03-22T20:30:00Z'), berlin)).toBe(false);
    expect(ownDuty(p, at('2026-03-22T21:00:00Z'), berlin)).toBe(true);
  });

  it('on a public holiday the pattern does not start, but a night begun the day before runs on; a dated shift still counts', () => {
    const rules = { ...SH, holidays: ['2026-11-24'] };
    const p = plan({ weekly: [{ day: 1, start: '20:00', end: '08:00' }, { day: 2, start: '08:00', end: '20:00' }] });
    expect(ownDuty(p, at('2026-11-23T20:00:00Z'), rules)).toBe(true); // Tue 04:00, the Monday night
    expect(ownDuty(p, at('2026-11-24T02:00:00Z'), rules)).toBe(false); // Tue 10:00, a holiday
    const extra = plan({ ...p, shifts: [{ start: at('2026-11-24T01:00:00Z'), end: at('2026-11-24T05:00:00Z'), kind: 'on' }], hasShifts: true });
    expect(ownDuty(extra, at('2026-11-24T02:00:00Z'), rules)).toBe(true);
  });

  it('a day off wins over the pattern', () => {
    const p = plan({ weekly: NIGHT, shifts: [{ start: at('2026-11-23T12:00:00Z'), end: at('2026-11-24T00:00:00Z'), kind: 'off' }], hasShifts: true });
    expect(ownDuty(p, at('2026-11-23T19:00:00Z'), SH)).toBe(false);
  });
});

describe('leave and the roster', () => {
  const a = plan({ agentId: 'a', weekly: NIGHT });
  const b = plan({ agentId: 'b', weekly: [{ day: 1, start: '08:00', end: '20:00' }] });
  const leave: LeaveSpan = { id: 'l1', agentId: 'a', substituteAgentId: 'b', start: at('2026-11-20T00:00:00Z'), end: at('2026-11-30T00:00:00Z'), kind: 'annual' };

  it('the agent on leave is off; the substitute is on whenever the agent would have been', () => {
    const night = dutyAt([a, b], [leave], at('2026-11-23T19:00:00Z'), SH);
    expect(night.get('a')).toEqual({ onDuty: false, reason: 'on-leave', leaveId: 'l1' });
    expect(night.get('b')).toEqual({ onDuty: true, coveringFor: ['a'] });
    const day = dutyAt([a, b], [leave], at('2026-11-23T02:00:00Z'), SH);
    expect(day.get('b')).toEqual({ onDuty: true, coveringFor: [] });
  });

  it('the timeline merges spans and reports the hours nobody is on duty', () => {
    const timeline = rosterTimeline([a, b], [], at('2026-11-23T00:00:00Z'), at('2026-11-24T06:00:00Z'), SH);
    expect(timeline.map((i) => [i.start.toISOString(), i.onDuty.map((o) => o.agentId)])).toEqual([
      ['2026-11-23T00:00:00.000Z', ['b']], // Mon 08:00-20:00
      ['2026-11-23T12:00:00.000Z', ['a']], // Mon 20:00-Tue 08:00
      ['2026-11-24T00:00:00.000Z', []],
    ]);
    expect(coverageGaps(timeline)).toEqual([{ start: at('2026-11-24T00:00:00Z'), end: at('2026-11-24T06:00:00Z') }]);
  });
});
