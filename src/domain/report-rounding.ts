/**
 * Figures as a spreadsheet should show them: a rate (0..1) as a percentage with one decimal
 * (0.6666… -> 66.7), seconds and averages with one or two decimals (6.1450000000000005 -> 6.1),
 * an absent figure as an empty cell. Floating-point noise never reaches a report.
 */
export function percentFigure(rate: number | null | undefined): number | null {
  if (rate === null || rate === undefined || !Number.isFinite(rate)) return null;
  return roundTo(rate * 100, 1);
}

export function roundTo(value: number | null | undefined, decimals: number): number | null {
  if (value === null || value === undefined || !Number.isFinite(value)) return null;
  const f = 10 ** decimals;
  // Rounded half away from zero, on the decimal text (1.005 -> 1.01), not on the binary float.
  return Math.sign(value) * (Math.round(Number(`${Math.abs(value)}e${decimals}`)) / f) || 0;
}

/** Answered over offered; none on a day nobody called. */
export const answerRate = (answered: number, offered: number): number | null => (offered > 0 ? answered / offered : null);
