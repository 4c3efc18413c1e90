import { createHash } from 'node:crypto';
import type { EndedBy } from './call-states';

/**
 * Quality inspection (质检, 001 第三十九条): an inspector scores an answered call against a
 * checklist drawn from the service standards of 003 §7.2.4 and R6. Each item is worth some points;
 * the review's score is the points given over the points possible, as a percentage.
 *
 * Four items are answered by the call's own record, never by the inspector:
 *   answered-in-time   answered within the answer rule (R2): all points, else none
 *   apology            not due (answered within the rule): all points; due: the record cannot tell
 *                      whether it was said, so it is left to the inspector, with the wait as a hint
 *   handover           handed to the rating from the phone, or the caller/hotline ended the talk:
 *                      all points; the agent hung up without a hand-over: none
 *   not-hung-up-first  the agent's leg ended the talk: none; else all points
 * Every other item is the inspector's, while listening. Time plays no part; nothing here does I/O.
 */
export const RECORD_ITEMS = ['answered-in-time', 'apology', 'handover', 'not-hung-up-first'] as const;
export type RecordItem = (typeof RECORD_ITEMS)[number];
export const isRecordItem = (id: string): id is RecordItem => (RECORD_ITEMS as readonly string[]).includes(id);

/** Roles that may score calls and edit the checklist: admins, supervisors and quality inspectors. */
export const QC_ROLES: readonly string[] = ['admin', 'supervisor', 'qc'];
export const mayInspect = (role: string) => QC_ROLES.includes(role);

export interface ChecklistItem {
  id: string;
  label: string;
  points: number;
}

/** The checklist the migration seeds (0029_quality_inspection.sql holds the same rows). */
export const DEFAULT_CHECKLIST: readonly ChecklistItem[] = [
  { id: 'answered-in-time', label: '三声内接听（10秒内） · Answered within 10 s', points: 10 },
  { id: 'greeting', label: '问候语：“您好，*客服中心” · Greeting naming the service', points: 15 },
  { id: 'apology', label: '超时接听先致歉 · Apologised when the caller waited', points: 10 },
  { id: 'courtesy', label: '礼貌回答、普通话 · Polite answers in Mandarin', points: 15 },
  { id: 'anything-else', label: '询问“还有其他需要吗” · Asked "anything else?"', points: 10 },
  { id: 'thanks', label: '致谢 · Thanked the caller', points: 10 },
  { id: 'handover', label: '转接满意度评价 · Handed over to the rating', points: 15 },
  { id: 'not-hung-up-first', label: '客户先挂机 · Did not hang up first', points: 15 },
];

/** What the record says about an answered call. */
export interface RecordedCall {
  waitSeconds: number | null;
  withinAnswerRule: boolean | null;
  endedBy: EndedBy | null;
}

/** An item answered from the record: its score, or null when the inspector must answer it; and why. */
export interface RecordAnswer {
  score: number | null;
  note: string;
}

const waited = (c: RecordedCall) => (c.waitSeconds === null ? '?' : `${Math.round(c.waitSeconds * 10) / 10} s`);

export function recordAnswer(item: RecordItem, points: number, call: RecordedCall, thresholdSeconds: number): RecordAnswer {
  switch (item) {
    case 'answered-in-time':
      if (call.withinAnswerRule === null) return { score: null, note: 'no answer time on record' };
      return { score: call.withinAnswerRule ? points : 0, note: `answered after ${waited(call)} (rule: ${thresholdSeconds} s)` };
    case 'apology':
      if (call.withinAnswerRule === true) return { score: points, note: `not due: answered after ${waited(call)}` };
      return { score: null, note: `due: the caller waited ${waited(call)} and the agent was cued to apologise; listen for it` };
    case 'handover':
      if (call.endedBy === 'agent-handover') return { score: points, note: 'handed over to the rating from the phone' };
      if (call.endedBy === 'caller') return { score: points, note: 'the caller hung up first: nothing to hand over' };
      if (call.endedBy === 'system') return { score: points, note: 'the hotline ended the call' };
      if (call.endedBy === 'agent') return { score: 0, note: 'the agent hung up without handing over' };
      return { score: null, note: 'the call has not ended' };
    case 'not-hung-up-first':
      if (call.endedBy === 'agent') return { score: 0, note: 'the agent hung up first' };
      if (call.endedBy === null) return { score: null, note: 'the call has not ended' };
      return { score: points, note: call.endedBy === 'agent-handover' ? 'the agent handed the caller to the rating' : `ended by ${call.endedBy}` };
  }
}

export interface GivenItem {
  id: string;
  score: number;
  note?: string | undefined;
}

export interface ReviewItem {
  id: string;
  label: string;
  points: number;
  score: number;
  source: 'record' | 'inspector';
  note: string | null;
}

/**
 * The review of one call: the record's answers where it has them, the inspector's for the rest.
 * The inspector must score every item the record leaves open, within 0..points, and none that the
 * record answers; each problem is named by its place in `items`.
 */
export function composeReview(
  checklist: readonly ChecklistItem[],
  given: readonly GivenItem[],
  answers: ReadonlyMap<string, RecordAnswer>,
): { items: ReviewItem[] } | { problem: string; field: string } {
  const byId = new Map(checklist.map((i) => [i.id, i]));
  const seen = new Set<string>();
  for (const [n, g] of given.entries()) {
    const item = byId.get(g.id);
    if (!item) return { problem: `items.${n}.id: '${g.id}' is not on the checklist (${checklist.map((i) => i.id).join(', ')})`, field: `items.${n}.id` };
    if (seen.has(g.id)) return { problem: `items.${n}.id: '${g.id}' is given twice`, field: `items.${n}.id` };
    seen.add(g.id);
    if (answers.get(g.id)?.score !== undefined && answers.get(g.id)!.score !== null) {
      return { problem: `items.${n}.id: '${g.id}' is answered by the call's record (${answers.get(g.id)!.note})`, field: `items.${n}.id` };
    }
    if (!Number.isInteger(g.score) || g.score < 0 || g.score > item.points) return { problem: `items.${n}.score: must be a whole number from 0 to ${item.points} for '${g.id}'`, field: `items.${n}.score` };
  }
  const items: ReviewItem[] = [];
  for (const item of checklist) {
    const auto = answers.get(item.id);
    if (auto && auto.score !== null) {
      items.push({ id: item.id, label: item.label, points: item.points, score: auto.score, source: 'record', note: auto.note });
      continue;
    }
    const g = given.find((x) => x.id === item.id);
    if (!g) return { problem: `items: '${item.id}' is missing (${auto ? auto.note : 'the inspector scores it'})`, field: 'items' };
    items.push({ id: item.id, label: item.label, points: item.points, score: g.score, source: 'inspector', note: g.note?.trim() || null });
  }
  return { items };
}

/** The review's score: points given over points possible, as a percentage with one decimal. */
export function reviewScore(items: readonly Pick<ReviewItem, 'points' | 'score'>[]): number {
  const possible = items.reduce((s, i) => s + i.points, 0);
  if (possible === 0) return 0;
  return Math.round((1000 * items.reduce((s, i) => s + i.score, 0)) / possible) / 10;
}

/**
 * The agent's monthly `quality` part (0..1): the average score of the reviews of the calls they
 * answered in the month, over 100; null with no review (the part is then left out of the grade).
 */
export function monthQuality(scores: readonly number[]): number | null {
  if (scores.length === 0) return null;
  return scores.reduce((s, x) => s + x, 0) / scores.length / 100;
}

/**
 * The QC sample of a week: for each agent, the `perAgent` answered calls whose hash of
 * (week, call id) is lowest. Only a week that is over is sampled, so its calls are all known:
 * the same calls are drawn every time, on every instance, and stay drawn until reviewed.
 */
export function sampleWeek<T extends { id: string; agentId: string }>(calls: readonly T[], week: string, perAgent: number): T[] {
  const rank = (id: string) => createHash('sha256').update(`${week}:${id}`).digest('hex');
  const byAgent = new Map<string, { call: T; rank: string }[]>();
  for (const call of calls) byAgent.set(call.agentId, [...(byAgent.get(call.agentId) ?? []), { call, rank: rank(call.id) }]);
  const out: T[] = [];
  for (const list of byAgent.values()) {
    list.sort((a, b) => (a.rank < b.rank ? -1 : a.rank > b.rank ? 1 : 0));
    out.push(...list.slice(0, perAgent).map((x) => x.call));
  }
  return out;
}
