import { DateTime } from 'luxon';
import type { Clock } from '../domain/clock';
import {
  composeReview,
  isRecordItem,
  monthQuality,
  recordAnswer,
  reviewScore,
  sampleWeek,
  type ChecklistItem,
  type GivenItem,
  type RecordAnswer,
} from '../domain/quality-inspection';
import { lastCompleteWeek, type WeekRange } from '../domain/report-week';
import { BadRequestError, ConflictError, NotFoundError } from '../errors';
import type { InspectableCall, PostgresQualityStore, QcReview } from '../postgres/quality-store';

/** How many finished weeks back the queue reaches: enough to cover the whole of last month. */
export const QUEUE_WEEKS = 5;

export interface QueuedCall {
  call: InspectableCall;
  week: string;
}

export interface QcServiceDeps {
  store: PostgresQualityStore;
  clock: Clock;
  timeZone: string;
  samplePerWeek: number;
  answerThresholdSeconds: number;
}

/** The QC queue, the record's answers, reviews and the monthly `quality` figures. */
export class QcService {
  constructor(private readonly d: QcServiceDeps) {}

  /** The finished weeks the queue samples, the latest first. */
  weeks(now: Date): WeekRange[] {
    const last = DateTime.fromJSDate(lastCompleteWeek(now, this.d.timeZone).from, { zone: this.d.timeZone });
    return Array.from({ length: QUEUE_WEEKS }, (_, i) => {
      const start = last.minus({ weeks: i });
      return { week: start.toFormat("kkkk-'W'WW"), from: start.toJSDate(), to: start.plus({ weeks: 1 }).toJSDate() };
    });
  }

  /** The sampled calls not yet reviewed, oldest first (the next to review at the top). */
  async queue(agentId?: string): Promise<QueuedCall[]> {
    const out: QueuedCall[] = [];
    for (const w of this.weeks(this.d.clock.now())) {
      // Each agent's draw depends on their own calls only: narrowing to one agent draws the same calls.
      const picked = sampleWeek(await this.d.store.answeredCalls(w.from, w.to, agentId), w.week, this.d.samplePerWeek);
      out.push(...picked.map((call) => ({ call, week: w.week })));
    }
    const reviewed = await this.d.store.reviewedAmong(out.map((q) => q.call.id));
    return out.filter((q) => !reviewed.has(q.call.id)).sort((a, b) => a.call.startedAt.getTime() - b.call.startedAt.getTime());
  }

  checklist(): Promise<ChecklistItem[]> {
    return this.d.store.checklist();
  }

  async replaceChecklist(items: ChecklistItem[]): Promise<ChecklistItem[]> {
    await this.d.store.replaceChecklist(items);
    return this.d.store.checklist();
  }

  /** What the record answers for each record item on the checklist. */
  recordAnswers(checklist: readonly ChecklistItem[], call: InspectableCall): Map<string, RecordAnswer> {
    const answers = new Map<string, RecordAnswer>();
    for (const item of checklist) if (isRecordItem(item.id)) answers.set(item.id, recordAnswer(item.id, item.points, call, this.d.answerThresholdSeconds));
    return answers;
  }

  /** The call to review with its checklist and the record's answers; 404 for a call no agent answered. */
  async forReview(callId: string): Promise<{ call: InspectableCall; checklist: ChecklistItem[]; answers: Map<string, RecordAnswer>; review: QcReview | null }> {
    const call = await this.d.store.answeredCall(callId);
    if (!call) throw new NotFoundError(`no answered call ${callId}`);
    const checklist = await this.d.store.checklist();
    return { call, checklist, answers: this.recordAnswers(checklist, call), review: await this.d.store.review(callId) };
  }

  async review(callId: string, given: GivenItem[], by: string): Promise<QcReview> {
    const { call, checklist, answers, review } = await this.forReview(callId);
    if (review) throw new ConflictError(`call ${callId} was already reviewed by ${review.reviewedBy}`);
    if (!call.ended) throw new ConflictError(`call ${callId} is still going on; review it once it has ended`);
    const composed = composeReview(checklist, given, answers);
    if ('problem' in composed) throw new BadRequestError(composed.problem, composed.field);
    const r: QcReview = { callId, agentId: call.agentId, callStartedAt: call.startedAt, reviewedBy: by, reviewedAt: this.d.clock.now(), score: reviewScore(composed.items), items: composed.items };
    if (!(await this.d.store.addReview(r))) throw new ConflictError(`call ${callId} was already reviewed`);
    return r;
  }

  reviews(from: Date, to: Date, agentId?: string): Promise<QcReview[]> {
    return this.d.store.reviews(from, to, agentId);
  }

  /** Per agent: how many of their calls of [from, to) were reviewed and the `quality` part (0..1). */
  async monthFigures(from: Date, to: Date): Promise<Map<string, { reviews: number; quality: number | null }>> {
    const byAgent = new Map<string, number[]>();
    for (const r of await this.d.store.reviews(from, to)) byAgent.set(r.agentId, [...(byAgent.get(r.agentId) ?? []), r.score]);
    return new Map([...byAgent].map(([agentId, scores]) => [agentId, { reviews: scores.length, quality: monthQuality(scores) }]));
  }
}
