import { describe, expect, it } from 'vitest';
import { composeShiftDigest, shiftStarts, type DigestFacts } from '../../src/domain/shift-digest';
import { rosterTimeline, type DutyPlan, type LeaveSpan } from '../../src/domain/shifts';

const SH = { timeZone: 'Asia/Shanghai', holidays: [] as string[] };
const at = (iso: string) => new Date(iso);
const plan = (agentId: string, p: Partial<DutyPlan> = {}): DutyPlan => ({ agentId, weekly: null, shifts: [], hasShifts: false, ...p });
// Monday 2026-11-23: a day shift 08:00-20:00 and a night shift 20:00-08:00 (Shanghai).
const DAY = [{ day: 1, start: '08:00', end: '20:00' }];
const NIGHT = [{ day: 1, start: '20:00', end: '08:00' }];

describe('the shift starts in a stretch of the roster', () => {
  const plans = [plan('day', { weekly: DAY }), plan('night', { weekly: NIGHT }), plan('always')];
  const timeline = (from: string, to: string, leaves: LeaveSpan[] = []) => rosterTimeline(plans, leaves, at(from), at(to), SH);

  it('names the agent whose duty begins, when it ends and who else is on, and nothing for one always on', () => {
    // 07:30 to 09:00 local, asked at 08:10 about the last 30 minutes.
    const starts = shiftStarts(timeline('2026-11-22T23:30:00Z', '2026-11-24T00:30:00Z'), at('2026-11-22T23:40:00Z'), at('2026-11-23T00:10:00Z'));
    expect(starts).toEqual([{ agentId: 'day', start: at('2026-11-23T00:00:00Z'), end: at('2026-11-23T12:00:00Z'), colleagueIds: ['always'] }]);
  });

  it('a start outside (since, until] is not one: before it, or not yet', () => {
    const t = timeline('2026-11-22T23:30:00Z', '2026-11-24T00:30:00Z');
    expect(shiftStarts(t, at('2026-11-23T00:00:00Z'), at('2026-11-23T00:30:00Z'))).toEqual([]);
    expect(shiftStarts(t, at('2026-11-22T23:40:00Z'), at('2026-11-22T23:59:59Z'))).toEqual([]);
  });

  it('a substitute starts the shift of the agent on leave, and the agent on leave starts nothing; without the leave the night starts at 20:00', () => {
    const leave: LeaveSpan = { id: 'l', agentId: 'day', substituteAgentId: 'night', start: at('2026-11-22T00:00:00Z'), end: at('2026-11-25T00:00:00Z'), kind: 'sick' };
    const starts = shiftStarts(timeline('2026-11-22T23:30:00Z', '2026-11-24T00:30:00Z', [leave]), at('2026-11-22T23:40:00Z'), at('2026-11-23T00:10:00Z'));
    // The night agent (whose pattern has only Monday night) starts at 08:00 covering the day shift, and stays on through their own night.
    expect(starts).toEqual([{ agentId: 'night', start: at('2026-11-23T00:00:00Z'), end: at('2026-11-24T00:00:00Z'), colleagueIds: ['always'] }]);
    const evening = shiftStarts(timeline('2026-11-23T11:30:00Z', '2026-11-24T12:30:00Z'), at('2026-11-23T11:40:00Z'), at('2026-11-23T12:10:00Z'));
    expect(evening).toEqual([{ agentId: 'night', start: at('2026-11-23T12:00:00Z'), end: at('2026-11-24T00:00:00Z'), colleagueIds: ['always'] }]);
  });
});

describe("the digest's text", () => {
  const facts: DigestFacts = {
    agentName: '张伟',
    shiftStart: at('2026-11-23T00:00:00Z'),
    shiftEnd: at('2026-11-23T12:00:00Z'),
    timeZone: 'Asia/Shanghai',
    now: at('2026-11-23T00:01:00Z'),
    callbacks: [
      { maskedPhone: '+86*******0011', dueAt: at('2026-11-22T23:00:00Z') },
      { maskedPhone: '+86*******0012', dueAt: at('2026-11-23T02:00:00Z') },
    ],
    unfinishedNotes: 3,
    colleagues: ['李娜', '王芳'],
    paused: false,
  };

  it('says, in Mandarin and in English, the shift, the callbacks due (late ones marked), the notes unfinished and who is on', () => {
    const t = composeShiftDigest(facts);
    expect(t.zh).toBe(
      [
        '【热线】张伟，您的班次 11-23 08:00–20:00 开始了。',
        '待回电 2 个：+86*******0011（07:00 到期，已超时）；+86*******0012（10:00 到期）。',
        '未填写的来电记录 3 条。',
        '同班：李娜、王芳。',
      ].join('\n'),
    );
    expect(t.en).toBe(
      [
        '[Hotline] 张伟, your shift 11-23 08:00–20:00 has started.',
        'Callbacks due: 2: +86*******0011 (due 07:00, overdue); +86*******0012 (due 10:00).',
        'Calls still to write up: 3.',
        'On duty with you: 李娜, 王芳.',
      ].join('\n'),
    );
  });

  it('says when there is nothing owed, nobody else on, and that the agent is paused', () => {
    const t = composeShiftDigest({ ...facts, callbacks: [], unfinishedNotes: 0, colleagues: [], paused: true, shiftEnd: null });
    expect(t.zh).toBe(['【热线】张伟，您的班次 11-23 08:00 开始了。', '待回电：无。', '来电记录已全部填写。', '本班只有您一人在班。', '您目前处于暂停状态，热线不会转接给您；可在页面上恢复接听。'].join('\n'));
    expect(t.en).toContain('You are the only one on duty.');
    expect(t.en).toContain('You are paused');
  });

  it('names five callbacks and counts the rest, and never a full number (the caller masks them)', () => {
    const many = Array.from({ length: 8 }, (_, i) => ({ maskedPhone: `+86*******00${10 + i}`, dueAt: at('2026-11-23T03:00:00Z') }));
    const t = composeShiftDigest({ ...facts, callbacks: many });
    expect(t.zh).toContain('待回电 8 个：');
    expect(t.zh).toContain('；另有 3 个。');
    expect(t.en).toContain('; and 3 more.');
    expect(t.zh).not.toContain('+86*******0015');
  });
});
