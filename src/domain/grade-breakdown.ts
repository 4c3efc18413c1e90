import { GRADE_PARTS, type GradePart, type GradeRule } from './agent-grade';

export interface GradePartShare {
  part: GradePart;
  /** The part's rate 0..1; null when it had nothing to measure (left out). */
  rate: number | null;
  weight: number;
  /** Its share of the weights that count this month (0 when left out). */
  share: number;
  /** Points it adds to the score before fines: 100 x share x rate. */
  points: number;
}

/**
 * How a score is made up (src/domain/agent-grade.ts): each part's points, the fines taken off.
 * The points add up to the score before fines and the 0..100 bounds; nothing here does I/O.
 */
export function gradeBreakdown(rates: Record<GradePart, number | null>, fines: number, rule: GradeRule): { parts: GradePartShare[]; beforeFines: number | null; fineDeduction: number } {
  const counted = GRADE_PARTS.filter((p) => rates[p] !== null && rule.weights[p] > 0);
  const total = counted.reduce((s, p) => s + rule.weights[p], 0);
  const parts = GRADE_PARTS.map((part) => {
    const rate = rates[part];
    const share = total > 0 && counted.includes(part) ? rule.weights[part] / total : 0;
    return { part, rate, weight: rule.weights[part], share, points: rate === null ? 0 : 100 * share * rate };
  });
  return { parts, beforeFines: total > 0 ? parts.reduce((s, p) => s + p.points, 0) : null, fineDeduction: rule.finePoints * fines };
}
