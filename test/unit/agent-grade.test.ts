import { describe, expect, it } from 'vitest';
import { DEFAULT_GRADE_RULE, gradeAgent, gradeOf, parseGradeThresholds, parseGradeWeights, type AgentMonth } from '../../src/domain/agent-grade';

const month = (m: Partial<AgentMonth>): AgentMonth => ({ offers: 0, accepted: 0, answered: 0, answeredWithinRule: 0, callbacksOnTime: 0, callbacksLate: 0, complaintWeight: 0, complaintWeightResolvedInTime: 0, averageRating: null, fines: 0, ...m });

describe('the monthly grade', () => {
  it('weighs the parts that have something to measure, and leaves the others out', () => {
    // accept 1.0 (30), withinRule 0.5 (20): (30 + 10) / 50 = 80
    expect(gradeAgent(month({ offers: 4, accepted: 4, answered: 4, answeredWithinRule: 2 }))).toMatchObject({ score: 80, grade: 'B' });
    // all five parts: 30*1 + 20*1 + 20*0.5 + 15*0 + 15*1 = 75
    const all = month({ offers: 2, accepted: 2, answered: 2, answeredWithinRule: 2, callbacksOnTime: 1, callbacksLate: 1, complaintWeight: 2, complaintWeightResolvedInTime: 0, averageRating: 5 });
    expect(gradeAgent(all)).toMatchObject({ score: 75, grade: 'C' });
    // each unwaived fine costs 5 points
    expect(gradeAgent({ ...all, fines: 2 })).toMatchObject({ score: 65, grade: 'D' });
    expect(gradeAgent({ ...all, fines: 30 })).toMatchObject({ score: 0, grade: 'E' });
  });

  it('gives no score to an agent with nothing to measure', () => {
    expect(gradeAgent(month({ fines: 1 }))).toMatchObject({ score: null, grade: null });
  });

  it('grades at the thresholds: A >= 90, B >= 80, C >= 70, D >= 60, else E', () => {
    const t = DEFAULT_GRADE_RULE.thresholds;
    expect([90, 89.9, 80, 70, 60, 59.9].map((s) => gradeOf(s, t))).toEqual(['A', 'B', 'B', 'C', 'D', 'E']);
  });

  it('reads configured weights and thresholds, and refuses bad ones', () => {
    expect(parseGradeWeights('accept:1,rating:1')).toEqual({ accept: 1, withinRule: 0, callbacks: 0, complaints: 0, rating: 1, quality: 0 });
    const rule = { ...DEFAULT_GRADE_RULE, weights: parseGradeWeights('accept:1,rating:1') };
    expect(gradeAgent(month({ offers: 2, accepted: 1, answered: 1, averageRating: 5 }), rule)).toMatchObject({ score: 75, grade: 'C' });
    expect(parseGradeThresholds('95,85,75,65')).toEqual([95, 85, 75, 65]);
    expect(() => parseGradeWeights('speed:5')).toThrow(/not one of/);
    expect(() => parseGradeWeights('accept:0')).toThrow(/above 0/);
    expect(() => parseGradeThresholds('60,70,80,90')).toThrow(/descending/);
    expect(() => parseGradeThresholds('90,80')).toThrow(/four/);
  });
});
