/**
 * The post-call rating (R6). The caller is asked for one key, 1 to 5. A missing or invalid key
 * gets one more chance; after the second the hotline says goodbye without a rating.
 *
 *   offered -> rated           a key 1..5 on either try
 *   offered -> no-input        nothing pressed, twice (the last try decides the reason)
 *   offered -> invalid-input   a key outside 1..5 on the last try
 *   offered, caller gone       the caller hung up during the survey: no rating, not an error
 *
 * A call that never reached the survey has a reason too: the caller hung up first, or it was
 * never answered.
 */
export const RATING_TRIES = 2;

export type SurveyStatus = 'offered' | 'rated' | 'no-input' | 'invalid-input';

export type SurveyStep =
  | { kind: 'rated'; score: number }
  | { kind: 'retry'; nextTry: number; reason: 'no-input' | 'invalid-input' }
  | { kind: 'give-up'; reason: 'no-input' | 'invalid-input' };

export function parseScore(digits: string | undefined): number | null {
  const d = (digits ?? '').trim();
  return /^[1-5]$/.test(d) ? Number(d) : null;
}

export function surveyStep(tryNo: number, digits: string | undefined): SurveyStep {
  const score = parseScore(digits);
  if (score !== null) return { kind: 'rated', score };
  const reason = (digits ?? '').trim() === '' ? 'no-input' : 'invalid-input';
  return tryNo < RATING_TRIES ? { kind: 'retry', nextTry: tryNo + 1, reason } : { kind: 'give-up', reason };
}

/** Why an answered call has, or has no, rating; what the API shows as ratingStatus. */
export type RatingStatus = 'rated' | 'no-input' | 'invalid-input' | 'caller-left-survey' | 'in-survey' | 'caller-hung-up-first' | 'not-answered';

export function ratingStatus(p: {
  outcome: string | null;
  endedBy: string | null;
  survey: { status: SurveyStatus } | null;
  callerGone: boolean;
}): RatingStatus | null {
  if (p.survey) {
    if (p.survey.status !== 'offered') return p.survey.status;
    return p.callerGone ? 'caller-left-survey' : 'in-survey';
  }
  if (p.outcome === null) return null;
  if (p.outcome !== 'answered') return 'not-answered';
  return p.endedBy === 'caller' ? 'caller-hung-up-first' : null;
}
