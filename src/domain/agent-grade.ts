/**
 * The monthly evaluation (R8): an agent's score out of 100 and a grade A-E.
 *
 *   score = 100 x (sum of weight x rate, over the parts that have something to measure)
 *                / (sum of those parts' weights)
 *           - finePoints x unwaived fines, kept within 0..100
 *
 * The parts and their rates (each 0..1):
 *   accept      accepted offers / offers (a phone that rang)
 *   withinRule  calls answered within the answer rule / calls answered
 *   callbacks   callbacks returned on time / callbacks due (return visits)
 *   complaints  the resolution rate: weight of tickets resolved on time / weight of tickets owned,
 *               every kind (src/domain/tickets.ts): a complaint case answered in time and resolved
 *               (a repeat complaint counts double), any other ticket closed by its due time (once)
 *   rating      (average rating - 1) / 4
 *   quality     the average score of the month's QC reviews of their calls / 100
 *               (src/domain/quality-inspection.ts); no review in the month: left out
 * A part with nothing to measure (no offers, no callbacks, no complaints...) is left out and the
 * others carry its weight; an agent with nothing at all to measure has no score and no grade.
 * The grade is the first letter whose threshold the score reaches: A >= 90, B >= 80, C >= 70,
 * D >= 60, else E (GRADE_THRESHOLDS). Time plays no part; nothing here does I/O.
 */
export const GRADE_PARTS = ['accept', 'withinRule', 'callbacks', 'complaints', 'rating', 'quality'] as const;
export type GradePart = (typeof GRADE_PARTS)[number];
export type Grade = 'A' | 'B' | 'C' | 'D' | 'E';

export interface GradeRule {
  weights: Record<GradePart, number>;
  /** Minimum scores for A, B, C, D (descending); below the last is E. */
  thresholds: [number, number, number, number];
  finePoints: number;
}

export const DEFAULT_GRADE_RULE: GradeRule = {
  weights: { accept: 30, withinRule: 20, callbacks: 20, complaints: 15, rating: 15, quality: 20 },
  thresholds: [90, 80, 70, 60],
  finePoints: 5,
};

export interface AgentMonth {
  offers: number;
  accepted: number;
  answered: number;
  answeredWithinRule: number;
  callbacksOnTime: number;
  callbacksLate: number;
  complaintWeight: number;
  complaintWeightResolvedInTime: number;
  averageRating: number | null;
  fines: number;
  /** The `quality` part already as a rate (0..1), from the month's QC reviews; null or absent with none. */
  quality?: number | null;
}

const share = (part: number, whole: number) => (whole > 0 ? part / whole : null);

export function gradeRates(m: AgentMonth): Record<GradePart, number | null> {
  return {
    accept: share(m.accepted, m.offers),
    withinRule: share(m.answeredWithinRule, m.answered),
    callbacks: share(m.callbacksOnTime, m.callbacksOnTime + m.callbacksLate),
    complaints: share(m.complaintWeightResolvedInTime, m.complaintWeight),
    rating: m.averageRating === null ? null : (m.averageRating - 1) / 4,
    quality: m.quality ?? null,
  };
}

export function gradeOf(score: number, thresholds: GradeRule['thresholds']): Grade {
  const letters: Grade[] = ['A', 'B', 'C', 'D'];
  const i = thresholds.findIndex((t) => score >= t);
  return i === -1 ? 'E' : letters[i]!;
}

export function gradeAgent(m: AgentMonth, rule: GradeRule = DEFAULT_GRADE_RULE): { score: number | null; grade: Grade | null; rates: Record<GradePart, number | null> } {
  const rates = gradeRates(m);
  let weighted = 0;
  let weights = 0;
  for (const p of GRADE_PARTS) {
    const r = rates[p];
    if (r === null || rule.weights[p] <= 0) continue;
    weighted += rule.weights[p] * r;
    weights += rule.weights[p];
  }
  if (weights === 0) return { score: null, grade: null, rates };
  const raw = (100 * weighted) / weights - rule.finePoints * m.fines;
  const score = Math.round(Math.min(100, Math.max(0, raw)) * 10) / 10;
  return { score, grade: gradeOf(score, rule.thresholds), rates };
}

/** Reads GRADE_WEIGHTS: "accept:30,withinRule:20,callbacks:20,complaints:15,rating:15,quality:20" (parts left out weigh 0). */
export function parseGradeWeights(csv: string): GradeRule['weights'] {
  const weights = { accept: 0, withinRule: 0, callbacks: 0, complaints: 0, rating: 0, quality: 0 };
  for (const item of csv.split(',').map((s) => s.trim()).filter((s) => s !== '')) {
    const [name, value] = item.split(':').map((s) => s.trim());
    if (!GRADE_PARTS.includes(name as GradePart)) throw new Error(`'${name}' is not one of ${GRADE_PARTS.join(', ')}`);
    const n = Number(value);
    if (!Number.isFinite(n) || n < 0) throw new Error(`the weight of ${name} must be a number >= 0`);
    weights[name as GradePart] = n;
  }
  if (Object.values(weights).every((w) => w === 0)) throw new Error('at least one weight must be above 0');
  return weights;
}

/** Reads GRADE_THRESHOLDS: four descending scores for A, B, C, D, e.g. "90,80,70,60". */
export function parseGradeThresholds(csv: string): GradeRule['thresholds'] {
  const t = csv.split(',').map((s) => Number(s.trim()));
  if (t.length !== 4 || t.some((x) => !Number.isFinite(x) || x < 0 || x > 100)) throw new Error('must be four scores 0-100 for A, B, C, D, e.g. 90,80,70,60');
  if (t.some((x, i) => i > 0 && x >= t[i - 1]!)) throw new Error('must be in descending order (A first)');
  return t as GradeRule['thresholds'];
}
