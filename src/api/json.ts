import type { CallSummaryRow } from '../postgres/analytics-store';

/** How the admin API writes a moment, and a share of a whole (null when there is no whole). */
export const iso = (d: Date | null) => (d ? d.toISOString() : null);
export const ratio = (part: number, whole: number) => (whole === 0 ? null : part / whole);

/** The answer figures of a set of calls, as the summary and the weekly report both give them. */
export function callFigures(s: CallSummaryRow) {
  return {
    blocked: s.blocked,
    internal: s.internal,
    offered: s.offered,
    answered: s.answered,
    missed: s.missed,
    abandoned: s.abandoned,
    answerRate: ratio(s.answered, s.offered),
    serviceLevel: ratio(s.answeredWithinRule, s.offered),
    abandonmentRate: ratio(s.abandoned, s.offered),
    averageSpeedOfAnswerSeconds: s.averageSpeedOfAnswerSeconds,
    firstRingSeconds: { mean: s.firstRingSecondsMean, p90: s.firstRingSecondsP90 },
  };
}
