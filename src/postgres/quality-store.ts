import type { EndedBy } from '../domain/call-states';
import type { ChecklistItem, ReviewItem } from '../domain/quality-inspection';
import type { Db } from './db';

/** An answered call as quality inspection sees it. */
export interface InspectableCall {
  id: string;
  agentId: string;
  startedAt: Date;
  waitSeconds: number | null;
  withinAnswerRule: boolean | null;
  talkSeconds: number | null;
  endedBy: EndedBy | null;
  ended: boolean;
}

export interface QcReview {
  callId: string;
  agentId: string;
  callStartedAt: Date;
  reviewedBy: string;
  reviewedAt: Date;
  score: number;
  items: ReviewItem[];
}

type Row = Record<string, unknown>;

const toCall = (r: Row): InspectableCall => ({
  id: r.id as string,
  agentId: r.answered_by_agent_id as string,
  startedAt: r.started_at as Date,
  waitSeconds: r.wait_seconds === null ? null : Number(r.wait_seconds),
  withinAnswerRule: (r.within_answer_rule as boolean | null) ?? null,
  talkSeconds: r.talk_seconds === null ? null : Number(r.talk_seconds),
  endedBy: (r.ended_by as EndedBy | null) ?? null,
  ended: r.state === 'ended',
});

const toReview = (r: Row): QcReview => ({
  callId: r.call_id as string,
  agentId: r.agent_id as string,
  callStartedAt: r.call_started_at as Date,
  reviewedBy: r.reviewed_by as string,
  reviewedAt: r.reviewed_at as Date,
  score: Number(r.score),
  items: (typeof r.items === 'string' ? JSON.parse(r.items) : r.items) as ReviewItem[],
});

// Answered: an agent took it (ended answered, or still talking). Blocked and internal calls are not inspected.
const ANSWERED = `answered_by_agent_id IS NOT NULL AND (outcome = 'answered' OR state = 'connected') AND NOT blocked AND NOT internal`;
const CALL_COLUMNS = 'id, answered_by_agent_id, started_at, wait_seconds, within_answer_rule, talk_seconds, ended_by, state';

/** The QC checklist and reviews (migration 0029). */
export class PostgresQualityStore {
  constructor(private readonly db: Db) {}

  async checklist(): Promise<ChecklistItem[]> {
    const rows = await this.db.query<Row>('SELECT id, label, points FROM qc_checklist_items ORDER BY position, id');
    return rows.map((r) => ({ id: r.id as string, label: r.label as string, points: Number(r.points) }));
  }

  async replaceChecklist(items: readonly ChecklistItem[]): Promise<void> {
    await this.db.transaction(async (tx) => {
      await tx.query('DELETE FROM qc_checklist_items');
      for (const [i, item] of items.entries()) {
        await tx.query('INSERT INTO qc_checklist_items (id, label, points, position) VALUES ($1, $2, $3, $4)', [item.id, item.label, item.points, i + 1]);
      }
    });
  }

  async answeredCall(callId: string): Promise<InspectableCall | null> {
    const [row] = await this.db.query<Row>(`SELECT ${CALL_COLUMNS} FROM calls WHERE id = $1 AND ${ANSWERED}`, [callId]);
    return row ? toCall(row) : null;
  }

  /** Calls answered in [from, to), by one agent or all. */
  async answeredCalls(from: Date, to: Date, agentId?: string): Promise<InspectableCall[]> {
    const rows = await this.db.query<Row>(
      `SELECT ${CALL_COLUMNS} FROM calls WHERE started_at >= $1 AND started_at < $2 AND ($3::uuid IS NULL OR answered_by_agent_id = $3) AND ${ANSWERED}`,
      [from, to, agentId ?? null],
    );
    return rows.map(toCall);
  }

  async reviewedAmong(callIds: readonly string[]): Promise<Set<string>> {
    if (callIds.length === 0) return new Set();
    const rows = await this.db.query<Row>('SELECT call_id FROM qc_reviews WHERE call_id = ANY($1::uuid[])', [callIds]);
    return new Set(rows.map((r) => r.call_id as string));
  }

  /** Adds the review; false when the call already has one. */
  async addReview(r: QcReview): Promise<boolean> {
    const rows = await this.db.query<Row>(
      `INSERT INTO qc_reviews (call_id, agent_id, call_started_at, reviewed_by, reviewed_at, score, items)
       VALUES ($1, $2, $3, $4, $5, $6, $7::jsonb) ON CONFLICT (call_id) DO NOTHING RETURNING call_id`,
      [r.callId, r.agentId, r.callStartedAt, r.reviewedBy, r.reviewedAt, r.score, JSON.stringify(r.items)],
    );
    return rows.length === 1;
  }

  async review(callId: string): Promise<QcReview | null> {
    const [row] = await this.db.query<Row>('SELECT * FROM qc_reviews WHERE call_id = $1', [callId]);
    return row ? toReview(row) : null;
  }

  /** Reviews of the calls that started in [from, to), by one agent or all; the latest call first. */
  async reviews(from: Date, to: Date, agentId?: string): Promise<QcReview[]> {
    const rows = await this.db.query<Row>(
      `SELECT * FROM qc_reviews WHERE call_started_at >= $1 AND call_started_at < $2 AND ($3::uuid IS NULL OR agent_id = $3)
        ORDER BY call_started_at DESC, call_id`,
      [from, to, agentId ?? null],
    );
    return rows.map(toReview);
  }
}
