import { describe, expect, it } from 'vitest';
import { DEFAULT_GRADE_RULE, gradeAgent, type AgentMonth } from '../../src/domain/agent-grade';
import { composeReview, DEFAULT_CHECKLIST, monthQuality, recordAnswer, reviewScore, sampleWeek, type RecordAnswer, type RecordedCall } from '../../src/domain/quality-inspection';

const call = (c: Partial<RecordedCall>): RecordedCall => ({ waitSeconds: 4, withinAnswerRule: true, endedBy: 'caller', ...c });

describe('quality inspection: the items the record answers', () => {
  it('scores answered-in-time by the answer rule', () => {
    expect(recordAnswer('answered-in-time', 10, call({ waitSeconds: 4 }), 10)).toMatchObject({ score: 10 });
    expect(recordAnswer('answered-in-time', 10, call({ waitSeconds: 14, withinAnswerRule: false }), 10)).toMatchObject({ score: 0, note: 'answered after 14 s (rule: 10 s)' });
  });

  it('gives the apology its points when none was due, and leaves a due one to the inspector', () => {
    expect(recordAnswer('apology', 10, call({}), 10)).toMatchObject({ score: 10 });
    const due = recordAnswer('apology', 10, call({ waitSeconds: 14, withinAnswerRule: false }), 10);
    expect(due.score).toBeNull();
    expect(due.note).toContain('due: the caller waited 14 s');
  });

  it('judges the hand-over and who hung up first from how the talk ended', () => {
    const both = (endedBy: RecordedCall['endedBy']) => [recordAnswer('handover', 15, call({ endedBy }), 10).score, recordAnswer('not-hung-up-first', 15, call({ endedBy }), 10).score];
    expect(both('agent-handover')).toEqual([15, 15]);
    expect(both('caller')).toEqual([15, 15]);
    expect(both('system')).toEqual([15, 15]);
    expect(both('agent')).toEqual([0, 0]);
    expect(both(null)).toEqual([null, null]);
  });
});

describe('quality inspection: a review and its score', () => {
  const answers = new Map<string, RecordAnswer>([
    ['answered-in-time', { score: 10, note: '' }],
    ['apology', { score: null, note: 'due' }],
    ['handover', { score: 0, note: '' }],
    ['not-hung-up-first', { score: 0, note: '' }],
  ]);
  const inspector = [
    { id: 'greeting', score: 15 },
    { id: 'apology', score: 10, note: 'said sorry at once' },
    { id: 'courtesy', score: 10 },
    { id: 'anything-else', score: 10 },
    { id: 'thanks', score: 5 },
  ];

  it('takes the record where it answers and the inspector for the rest; the score is points over points possible', () => {
    const r = composeReview(DEFAULT_CHECKLIST, inspector, answers);
    if ('problem' in r) throw new Error(r.problem);
    expect(r.items.map((i) => [i.id, i.score, i.source])).toEqual([
      ['answered-in-time', 10, 'record'], ['greeting', 15, 'inspector'], ['apology', 10, 'inspector'], ['courtesy', 10, 'inspector'],
      ['anything-else', 10, 'inspector'], ['thanks', 5, 'inspector'], ['handover', 0, 'record'], ['not-hung-up-first', 0, 'record'],
    ]);
    // 60 of 100 points.
    expect(reviewScore(r.items)).toBe(60);
    expect(reviewScore([{ points: 3, score: 2 }])).toBe(66.7);
  });

  it('names what is wrong: an unknown item, a repeat, a score out of range, an item the record answers, a missing one', () => {
    const problem = (given: { id: string; score: number }[]) => {
      const r = composeReview(DEFAULT_CHECKLIST, given, answers);
      return 'problem' in r ? r.problem : null;
    };
    expect(problem([...inspector, { id: 'smile', score: 1 }])).toMatch(/^items\.5\.id: 'smile' is not on the checklist/);
    expect(problem([...inspector, { id: 'thanks', score: 1 }])).toMatch(/^items\.5\.id: 'thanks' is given twice/);
    expect(problem([{ ...inspector[0]!, score: 16 }, ...inspector.slice(1)])).toBe("items.0.score: must be a whole number from 0 to 15 for 'greeting'");
    expect(problem([{ ...inspector[0]!, score: 2.5 }, ...inspector.slice(1)])).toMatch(/^items\.0\.score/);
    expect(problem([...inspector, { id: 'handover', score: 15 }])).toMatch(/^items\.5\.id: 'handover' is answered by the call's record/);
    expect(problem(inspector.filter((i) => i.id !== 'apology'))).toBe("items: 'apology' is missing (due)");
  });
});

describe('quality inspection: the monthly quality part and the weekly sample', () => {
  const month = (m: Partial<AgentMonth>): AgentMonth => ({ offers: 0, accepted: 0, answered: 0, answeredWithinRule: 0, callbacksOnTime: 0, callbacksLate: 0, complaintWeight: 0, complaintWeightResolvedInTime: 0, averageRating: null, fines: 0, ...m });

  it('averages the month\'s review scores; with no review the part is left out and the others carry its weight', () => {
    expect(monthQuality([])).toBeNull();
    expect(monthQuality([60, 80])).toBe(0.7);
    const base = month({ offers: 4, accepted: 4, answered: 4, answeredWithinRule: 4 });
    // accept 1 (30), within the rule 1 (20): 100.
    expect(gradeAgent(base)).toMatchObject({ score: 100, grade: 'A' });
    // ... and quality 0.6 (20): (30 + 20 + 12) / 70 = 88.6 -> B.
    expect(gradeAgent({ ...base, quality: monthQuality([60]) })).toMatchObject({ score: 88.6, grade: 'B', rates: { quality: 0.6 } });
    expect(gradeAgent({ ...base, quality: 0.6 }, { ...DEFAULT_GRADE_RULE, weights: { ...DEFAULT_GRADE_RULE.weights, quality: 0 } })).toMatchObject({ score: 100 });
  });

  it('draws the same calls per agent and week whatever their order, and other calls another week', () => {
    const calls = Array.from({ length: 20 }, (_, i) => ({ id: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`, agentId: i % 2 ? 'a' : 'b' }));
    const drawn = sampleWeek(calls, '2026-W45', 3);
    expect(drawn.filter((c) => c.agentId === 'a')).toHaveLength(3);
    expect(drawn.filter((c) => c.agentId === 'b')).toHaveLength(3);
    const ids = (cs: { id: string }[]) => cs.map((c) => c.id).sort();
    expect(ids(sampleWeek([...calls].reverse(), '2026-W45', 3))).toEqual(ids(drawn));
    expect(ids(sampleWeek(calls, '2026-W46', 3))).not.toEqual(ids(drawn));
    expect(sampleWeek(calls.slice(0, 2), '2026-W45', 3)).toHaveLength(2);
  });
});
