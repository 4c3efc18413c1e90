import { describe, expect, it } from 'vitest';
import { escapeHtml } from '../../src/html';
import { noteChanges, repeatWindowStart } from '../../src/domain/call-notes';
import { parseScore, ratingStatus, surveyStep } from '../../src/domain/rating';

describe('the rating survey', () => {
  it('takes a single key 1 to 5 as the score', () => {
    expect(['1', '3', '5'].map(parseScore)).toEqual([1, 3, 5]);
    expect(['0', '6', '9', '#', '*', '12', '', undefined].map(parseScore)).toEqual([null, null, null, null, null, null, null, null]);
  });

  it('gives one more try after no key or a wrong key, then gives up saying why', () => {
    expect(surveyStep(1, '4')).toEqual({ kind: 'rated', score: 4 });
    expect(surveyStep(1, '')).toEqual({ kind: 'retry', nextTry: 2, reason: 'no-input' });
    expect(surveyStep(1, '8')).toEqual({ kind: 'retry', nextTry: 2, reason: 'invalid-input' });
    expect(surveyStep(2, '2')).toEqual({ kind: 'rated', score: 2 });
    expect(surveyStep(2, undefined)).toEqual({ kind: 'give-up', reason: 'no-input' });
    expect(surveyStep(2, '0')).toEqual({ kind: 'give-up', reason: 'invalid-input' });
  });

  it('explains every answered call without a rating', () => {
    const answered = { outcome: 'answered', callerGone: false };
    expect(ratingStatus({ ...answered, endedBy: 'agent', survey: { status: 'rated' } })).toBe('rated');
    expect(ratingStatus({ ...answered, endedBy: 'agent', survey: { status: 'offered' } })).toBe('in-survey');
    expect(ratingStatus({ ...answered, endedBy: 'agent', survey: { status: 'offered' }, callerGone: true })).toBe('caller-left-survey');
    expect(ratingStatus({ ...answered, endedBy: 'caller', survey: null })).toBe('caller-hung-up-first');
    expect(ratingStatus({ outcome: 'missed', endedBy: 'system', survey: null, callerGone: true })).toBe('not-answered');
    expect(ratingStatus({ outcome: null, endedBy: null, survey: null, callerGone: false })).toBeNull();
  });
});

describe('call notes', () => {
  const current = { type: null, summary: 'old', callerName: '王' };

  it('audits only the fields that change', () => {
    expect(noteChanges(current, { type: 'repair', summary: 'old' })).toEqual([{ field: 'type', oldValue: null, newValue: 'repair' }]);
    expect(noteChanges(current, { callerName: null })).toEqual([{ field: 'callerName', oldValue: '王', newValue: null }]);
    expect(noteChanges(current, {})).toEqual([]);
  });

  it('looks back REPEAT_CALLER_DAYS from the start of the call', () => {
    expect(repeatWindowStart(new Date('2026-11-23T02:00:00Z'), 7).toISOString()).toBe('2026-11-16T02:00:00.000Z');
  });

  it('escapes everything the page prints', () => {
    expect(escapeHtml(`<a href="x">'&'</a>`)).toBe('&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;');
    expect(escapeHtml(null)).toBe('');
  });
});
