import { describe, expect, it } from 'vitest';
import { actorName } from '../../src/console/actor-name';
import { pauseText } from '../../src/console/pause-text';
import { timeLeftText } from '../../src/console/time-left';
import { DEFAULT_GRADE_RULE, gradeAgent, gradeRates } from '../../src/domain/agent-grade';
import { gradeBreakdown } from '../../src/domain/grade-breakdown';
import { answerRate, percentFigure, roundTo } from '../../src/domain/report-rounding';

const at = (minutes: number) => new Date(Date.UTC(2026, 10, 23, 2, 0) + minutes * 60_000);

describe('figures in the weekly CSV', () => {
  it('gives a rate as a percentage with one decimal, never a float with its noise', () => {
    expect(percentFigure(2 / 3)).toBe(66.7);
    expect(percentFigure(1 / 3)).toBe(33.3);
    expect(percentFigure(1)).toBe(100);
    expect(percentFigure(0)).toBe(0);
    expect(percentFigure(0.125)).toBe(12.5);
    expect(percentFigure(0.0005)).toBe(0.1);
    expect(String(percentFigure(0.07))).toBe('7');
  });

  it('rounds seconds and averages on their decimal text, half away from zero', () => {
    expect(roundTo(6.1450000000000005, 1)).toBe(6.1);
    expect(roundTo(6.15, 1)).toBe(6.2);
    expect(roundTo(1.005, 2)).toBe(1.01);
    expect(roundTo(4.666666666666667, 2)).toBe(4.67);
    expect(roundTo(-2.25, 1)).toBe(-2.3);
  });

  it('leaves an absent figure empty: no rate on a day nobody called', () => {
    expect(answerRate(0, 0)).toBeNull();
    expect(percentFigure(answerRate(0, 0))).toBeNull();
    expect(percentFigure(answerRate(3, 6))).toBe(50);
    expect(roundTo(null, 1)).toBeNull();
    expect(percentFigure(Number.NaN)).toBeNull();
  });
});

describe('the time left to a deadline', () => {
  it('counts minutes under an hour, hours and minutes under a day, then days and hours', () => {
    expect(timeLeftText('zh', at(15), at(0))).toEqual({ text: '剩 15分', late: false });
    expect(timeLeftText('en', at(15), at(0))).toEqual({ text: '15 min left', late: false });
    expect(timeLeftText('zh', at(125), at(0)).text).toBe('剩 2小时5分');
    expect(timeLeftText('zh', at(120), at(0)).text).toBe('剩 2小时');
    expect(timeLeftText('en', at(26 * 60 + 30), at(0)).text).toBe('1 d 2 h left');
    expect(timeLeftText('zh', at(0), at(0)).text).toBe('剩 0分');
  });

  it('says how late once the deadline has passed', () => {
    expect(timeLeftText('zh', at(0), at(5))).toEqual({ text: '超时 5分', late: true });
    expect(timeLeftText('en', at(0), at(90))).toEqual({ text: '1 h 30 min late', late: true });
  });
});

describe('how a grade is made up', () => {
  const month = { offers: 10, accepted: 8, answered: 8, answeredWithinRule: 6, callbacksOnTime: 1, callbacksLate: 1, complaintWeight: 0, complaintWeightResolvedInTime: 0, averageRating: 4, fines: 1 };

  it('gives each part its points, which less the fines make the score', () => {
    const b = gradeBreakdown(gradeRates(month), month.fines, DEFAULT_GRADE_RULE);
    const g = gradeAgent(month, DEFAULT_GRADE_RULE);
    expect(b.fineDeduction).toBe(5);
    expect(Math.round((b.beforeFines! - b.fineDeduction) * 10) / 10).toBe(g.score);
    // Complaints had nothing to measure: left out, and the other four carry its weight.
    const complaints = b.parts.find((p) => p.part === 'complaints')!;
    expect(complaints).toMatchObject({ rate: null, share: 0, points: 0 });
    expect(b.parts.reduce((s, p) => s + p.share, 0)).toBeCloseTo(1);
    expect(b.parts.find((p) => p.part === 'accept')!.share).toBeCloseTo(30 / 85);
  });

  it('has no score to make up when nothing was measured', () => {
    const idle = { ...month, offers: 0, accepted: 0, answered: 0, answeredWithinRule: 0, callbacksOnTime: 0, callbacksLate: 0, averageRating: null, fines: 0 };
    expect(gradeBreakdown(gradeRates(idle), 0, DEFAULT_GRADE_RULE).beforeFines).toBeNull();
  });
});

describe('who did it, and why an agent is paused, in words', () => {
  it('names an account by the name its person goes by, else its username; the shared token in words', () => {
    expect(actorName('zh', 'account:walk.super', new Map([['walk.super', '周主管']]))).toBe('周主管');
    expect(actorName('en', 'account:walk.super')).toBe('walk.super');
    expect(actorName('zh', 'admin-token')).toBe('共享 API 令牌');
    expect(actorName('en', 'auto-pause')).toBe('auto-pause');
    expect(actorName('en', null)).toBe('—');
  });

  it('says who paused an agent and since when, with the reason an admin typed', () => {
    const since = new Date('2026-11-23T06:05:00Z');
    expect(pauseText('zh', { paused: true, pausedReason: 'auto-pause', pausedAt: since }, null, 'Asia/Shanghai')).toBe('连续未接，系统自动暂停 · 自 11-23 14:05');
    expect(pauseText('en', { paused: true, pausedReason: 'sms', pausedAt: since }, null, 'Asia/Shanghai')).toBe('paused by the agent (SMS) · since 11-23 14:05');
    expect(pauseText('zh', { paused: true, pausedReason: 'admin', pausedAt: null }, '午休', 'Asia/Shanghai')).toBe('管理员暂停 · 午休');
    expect(pauseText('zh', { paused: false, pausedReason: null, pausedAt: null }, '午休', 'Asia/Shanghai')).toBe('');
  });
});
