import { ringSeconds } from '../domain/answer-time';
import { secondsBetween } from '../domain/clock';
import type { AttemptOutcome, CallOutcome, EndedBy } from '../domain/call-states';
import type { SurveyStatus } from '../domain/rating';
import type { Call, CallEvent, CallListQuery, CallRating, CallStore, LegEvent, NewCall, RingAttempt, SkippedAgent } from '../domain/ports';
import { owedAgain, recordCallEndEffects } from './call-end-effect-store';
import { toAttempt, toCall, type AttemptRow, type CallRow } from './call-rows';
import { DEADLOCK } from './database-unreachable';
import type { Db, Queryable } from './db';
import { NewCalls } from './new-calls';
import { SkipNotes } from './skip-notes';

interface RatingRow {
  call_id: string;
  agent_id: string;
  status: SurveyStatus;
  score: number | null;
  offered_at: Date;
  finished_at: Date | null;
  caller_gone: boolean;
}

export class PostgresCallStore implements CallStore {
  private readonly newCalls: NewCalls;
  private readonly skips: SkipNotes;

  /** `endEffects` names the work every call's end is owed (the call-ended outbox), written with the end. */
  constructor(
    private readonly db: Db,
    private readonly endEffects: () => readonly string[] = () => [],
  ) {
    this.newCalls = new NewCalls(db);
    this.skips = new SkipNotes(db);
  }

  /** A new call's first record, in one statement with those arriving meanwhile (NewCalls). */
  createCall(c: NewCall, offset: number): Promise<{ call: Call; created: boolean }> {
    return this.newCalls.create(c, offset);
  }

  async getCall(id: string): Promise<Call | null> {
    const rows = await this.db.query<CallRow>('SELECT * FROM calls WHERE id = $1', [id]);
    return rows[0] ? toCall(rows[0]) : null;
  }

  async getCallBySid(callSid: string): Promise<Call | null> {
    const rows = await this.db.query<CallRow>('SELECT * FROM calls WHERE call_sid = $1', [callSid]);
    return rows[0] ? toCall(rows[0]) : null;
  }

  async callsByIds(ids: readonly string[]): Promise<Map<string, Call>> {
    if (ids.length === 0) return new Map();
    const rows = await this.db.query<CallRow>('SELECT * FROM calls WHERE id = ANY($1::uuid[])', [ids]);
    return new Map(rows.map((r) => [r.id, toCall(r)]));
  }

  async listCalls(q: CallListQuery): Promise<Call[]> {
    const rows = await this.db.query<CallRow>(
      `SELECT * FROM calls
        WHERE ($1::timestamptz IS NULL OR started_at >= $1::timestamptz)
          AND ($2::timestamptz IS NULL OR started_at < $2::timestamptz)
          AND ($3::timestamptz IS NULL OR (started_at, id) < ($3::timestamptz, $4::uuid))
          AND ($6::text IS NULL OR outcome = $6::text)
          AND ($7::uuid IS NULL OR answered_by_agent_id = $7::uuid)
          AND ($8::text IS NULL OR ($8::text = 'none' AND call_type IS NULL) OR call_type = $8::text)
          AND ($9::int IS NULL OR EXISTS (SELECT 1 FROM call_ratings r WHERE r.call_id = calls.id AND r.score = $9::int))
          AND ($10::text IS NULL OR from_number = $10::text)
          AND ($11::text IS NULL OR to_number = $11::text)
        ORDER BY started_at DESC, id DESC
        LIMIT $5`,
      [
        q.from ?? null,
        q.to ?? null,
        q.cursor?.startedAt ?? null,
        q.cursor?.id ?? null,
        q.limit,
        q.outcome ?? null,
        q.agentId ?? null,
        q.type ?? null,
        q.rating ?? null,
        q.callerNumber ?? null,
        q.hotlineNumber ?? null,
      ],
    );
    return rows.map(toCall);
  }

  /** Why the hunt passed agents over, per call: the first reason per agent (SkipNotes, migration 0021). */
  skipsOfCalls(callIds: string[]): Promise<Map<string, SkippedAgent[]>> {
    return this.skips.ofCalls(callIds);
  }

  /** Each call's survey; callerGone says whether the caller's leg has since ended (hung up during it). */
  async ratingsOfCalls(callIds: string[]): Promise<Map<string, CallRating>> {
    const byCall = new Map<string, CallRating>();
    if (callIds.length === 0) return byCall;
    const rows = await this.db.query<RatingRow>(
      `SELECT r.*, EXISTS (
                SELECT 1 FROM call_events e JOIN calls c ON c.call_sid = e.call_sid
                 WHERE c.id = r.call_id AND e.call_status IN ('completed', 'canceled', 'busy', 'failed', 'no-answer')
              ) AS caller_gone
         FROM call_ratings r WHERE r.call_id = ANY($1::uuid[])`,
      [callIds],
    );
    for (const r of rows) {
      byCall.set(r.call_id, {
        callId: r.call_id,
        agentId: r.agent_id,
        status: r.status,
        score: r.score === null ? null : Number(r.score),
        offeredAt: r.offered_at,
        finishedAt: r.finished_at,
        callerGone: r.caller_gone,
      });
    }
    return byCall;
  }

  async addAttempt(a: { id?: string; callId: string; seq: number; agentId: string; endpoint: string; offeredAt: Date }) {
    // One statement in the usual case: the call row is held (FOR SHARE) while the attempt is
    // added, so a call that ends meanwhile either sees this attempt (and finishes it) or is seen
    // ended here (and gets none).
    const insert = () =>
      this.db.query<AttemptRow>(
        `WITH hunting AS (SELECT id FROM calls WHERE id = $1 AND state = 'hunting' FOR SHARE)
         INSERT INTO ring_attempts (id, call_id, seq, agent_id, endpoint, offered_at)
         SELECT COALESCE($6::uuid, gen_random_uuid()), id, $2, $3, $4, $5 FROM hunting
         ON CONFLICT (call_id, seq) DO NOTHING RETURNING *`,
        [a.callId, a.seq, a.agentId, a.endpoint, a.offeredAt, a.id ?? null],
      );
    // Two requests for one call (its end and an offer to it) can deadlock on the call row and the
    // attempt; PostgreSQL aborts one, and this statement is safe to run again.
    const rows = await insert().catch((err: { code?: string }) => {
      if (err.code === DEADLOCK) return insert();
      throw err;
    });
    if (rows[0]) return { attempt: toAttempt(rows[0]), created: true };
    // The call is not hunting, or a concurrent request added attempt seq first.
    return this.db.transaction(async (tx) => {
      const call = (await tx.query<{ state: string }>('SELECT state FROM calls WHERE id = $1 FOR SHARE', [a.callId]))[0];
      if (!call || call.state !== 'hunting') return null;
      const existing = await tx.query<AttemptRow>('SELECT * FROM ring_attempts WHERE call_id = $1 AND seq = $2', [a.callId, a.seq]);
      return existing[0] ? { attempt: toAttempt(existing[0]), created: false } : null;
    });
  }

  async getAttempt(id: string): Promise<RingAttempt | null> {
    const rows = await this.db.query<AttemptRow>('SELECT * FROM ring_attempts WHERE id = $1', [id]);
    return rows[0] ? toAttempt(rows[0]) : null;
  }

  async attemptsOf(callId: string): Promise<RingAttempt[]> {
    const rows = await this.db.query<AttemptRow>('SELECT * FROM ring_attempts WHERE call_id = $1 ORDER BY seq', [callId]);
    return rows.map(toAttempt);
  }

  async attemptsOfCalls(callIds: string[]): Promise<Map<string, RingAttempt[]>> {
    const byCall = new Map<string, RingAttempt[]>(callIds.map((id) => [id, []]));
    if (callIds.length === 0) return byCall;
    const rows = await this.db.query<AttemptRow>('SELECT * FROM ring_attempts WHERE call_id = ANY($1::uuid[]) ORDER BY call_id, seq', [callIds]);
    for (const row of rows) byCall.get(row.call_id)?.push(toAttempt(row));
    return byCall;
  }

  async recordLegEvent(e: LegEvent): Promise<{ inserted: boolean; attempt: RingAttempt | null }> {
    const { inserted, attempt } = await this.db.transaction(async (tx) => {
      const rows = await tx.query(
        `INSERT INTO leg_events (child_call_sid, sequence_number, attempt_id, call_status, event_at, received_at, duration_seconds)
         VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING RETURNING attempt_id`,
        [e.childCallSid, e.sequenceNumber, e.attemptId, e.callStatus, e.eventAt, e.receivedAt, e.durationSeconds],
      );
      return { inserted: rows.length > 0, attempt: await this.refreshTimings(tx, e.attemptId, e.childCallSid) };
    });
    // The call's first ring, after the attempt's transaction: an offer to this call holds the call
    // row while it adds an attempt, and may wait on this attempt's row (a stale attempt number);
    // taking the call row inside the transaction above would make the two wait on each other.
    if (attempt?.ringingAt) await this.noteFirstRing(attempt.callId, attempt.ringingAt);
    return { inserted, attempt };
  }

  /** Timings come from every stored event, whatever order they arrived in. */
  private async refreshTimings(tx: Queryable, attemptId: string, childCallSid: string): Promise<RingAttempt | null> {
    const events = await tx.query<{ call_status: string; first_at: Date }>(
      'SELECT call_status, MIN(event_at) AS first_at FROM leg_events WHERE attempt_id = $1 GROUP BY call_status',
      [attemptId],
    );
    const at = (status: string) => events.find((r) => r.call_status === status)?.first_at ?? null;
    const timings = { initiatedAt: at('initiated'), ringingAt: at('ringing'), answeredAt: at('in-progress') };
    const rows = await tx.query<AttemptRow>(
      `UPDATE ring_attempts SET child_call_sid = COALESCE(child_call_sid, $2),
         initiated_at = $3, ringing_at = $4, answered_at = $5, ring_seconds = $6
       WHERE id = $1 RETURNING *`,
      [attemptId, childCallSid, timings.initiatedAt, timings.ringingAt, timings.answeredAt, ringSeconds(timings)],
    );
    return rows[0] ? toAttempt(rows[0]) : null;
  }

  /**
   * The first phone that rang, whichever attempt it was and whenever its event arrived (the
   * earliest wins, so a repeat changes nothing). Kept to a tenth of a second: Twilio's Timestamps
   * are whole seconds, and the analytics rollup's histogram of first rings (migration 0016) stays
   * a few hundred values a day, not one per call.
   */
  private async noteFirstRing(callId: string, ringingAt: Date): Promise<void> {
    await this.db.query(
      `UPDATE calls c SET first_ring_seconds = r.seconds
         FROM (SELECT id, ROUND(GREATEST(0, EXTRACT(EPOCH FROM ($2::timestamptz - started_at)))::numeric, 1)::double precision AS seconds
                 FROM calls WHERE id = $1) r
       WHERE c.id = r.id AND (c.first_ring_seconds IS NULL OR c.first_ring_seconds > r.seconds)`,
      [callId, ringingAt],
    );
  }

  async redial(attemptId: string): Promise<number> {
    const [row] = await this.db.query<{ dial_mark: number }>('UPDATE ring_attempts SET dial_mark = dial_mark + 1 WHERE id = $1 RETURNING dial_mark', [attemptId]);
    return Number(row?.dial_mark ?? 0);
  }

  async markScreened(attemptId: string, childCallSid: string, at: Date, apologyCued: boolean): Promise<void> {
    await this.db.query(
      `UPDATE ring_attempts SET screened_at = COALESCE(screened_at, $2), child_call_sid = COALESCE(child_call_sid, $3),
         apology_cued = apology_cued OR $4 WHERE id = $1`,
      [attemptId, at, childCallSid, apologyCued],
    );
  }

  async acceptAttempt(attemptId: string, at: Date, thresholdSeconds: number): Promise<boolean> {
    return this.db.transaction(async (tx) => {
      const attempt = (await tx.query<AttemptRow>('SELECT * FROM ring_attempts WHERE id = $1 FOR UPDATE', [attemptId]))[0];
      // A key press handled after this leg's <Dial> was over (a slow request, another instance) is too late.
      if (!attempt || attempt.finished_at) return false;
      const call = (await tx.query<CallRow>('SELECT * FROM calls WHERE id = $1 FOR UPDATE', [attempt.call_id]))[0];
      if (!call) return false;
      if (call.state !== 'hunting') return call.state === 'connected' && call.answered_by_agent_id === attempt.agent_id;
      const wait = secondsBetween(call.started_at, at);
      await tx.query('UPDATE ring_attempts SET accepted_at = $2 WHERE id = $1', [attemptId, at]);
      await tx.query(
        `UPDATE calls SET state = 'connected', answered_by_agent_id = $2, accepted_at = $3, wait_seconds = $4, within_answer_rule = $5
         WHERE id = $1`,
        [call.id, attempt.agent_id, at, wait, wait <= thresholdSeconds],
      );
      return true;
    });
  }

  async reopenHunt(callId: string, attemptId: string): Promise<Call | null> {
    // Only while the call is connected by this attempt's key press: a late repeat of its action must not undo another agent's.
    const rows = await this.db.query<CallRow>(
      `UPDATE calls SET state = 'hunting', answered_by_agent_id = NULL, accepted_at = NULL, wait_seconds = NULL, within_answer_rule = NULL
       WHERE id = $1 AND state = 'connected'
         AND EXISTS (SELECT 1 FROM ring_attempts a WHERE a.id = $2 AND a.call_id = calls.id AND a.agent_id = calls.answered_by_agent_id AND a.accepted_at = calls.accepted_at)
       RETURNING *`,
      [callId, attemptId],
    );
    return rows[0] ? toCall(rows[0]) : null;
  }

  async finishAttempt(attemptId: string, f: { outcome: AttemptOutcome; dialCallStatus: string; at: Date }): Promise<boolean> {
    const rows = await this.db.query(
      `UPDATE ring_attempts SET outcome = $2, dial_call_status = $3, finished_at = $4
       WHERE id = $1 AND finished_at IS NULL RETURNING id`,
      [attemptId, f.outcome, f.dialCallStatus, f.at],
    );
    return rows.length > 0;
  }

  async endCall(callId: string, e: { outcome: CallOutcome; at: Date; endedBy: EndedBy; missedReason?: string; neverBridged?: boolean }): Promise<Call | null> {
    return this.db.transaction(async (tx) => {
      const call = (await tx.query<CallRow>('SELECT * FROM calls WHERE id = $1 FOR UPDATE', [callId]))[0];
      if (!call || call.state === 'ended') return null;
      // A connected call ends answered, unless the bridge never happened; the outcome argument speaks for a call still hunting.
      // The accepting attempt finished not-bridged says so too: its Dial action failed before the call went back to hunting.
      const answered = call.state === 'connected' && !e.neverBridged && !(await neverPutThrough(tx, call));
      const outcome: CallOutcome = answered ? 'answered' : e.outcome;
      // Once the agent asked to hand the caller over, the late <Dial> action or status callback that ends the talk speaks for that hand-over.
      const endedBy: EndedBy = call.state === 'connected' && call.handover_requested_at ? 'agent-handover' : e.endedBy;
      const talk = answered && call.accepted_at ? Math.max(0, secondsBetween(call.accepted_at, e.at)) : null;
      const wait = (answered ? call.wait_seconds : null) ?? Math.max(0, secondsBetween(call.started_at, e.at));
      const rows = await tx.query<CallRow>(
        `UPDATE calls SET state = 'ended', outcome = $2, ended_at = $3, ended_by = $4, missed_reason = $5,
           talk_seconds = $6, wait_seconds = $7,
           line_wait_seconds = line_wait_seconds + COALESCE(GREATEST(0, EXTRACT(EPOCH FROM ($3::timestamptz - waiting_since))), 0),
           waiting_since = NULL,
           within_answer_rule = CASE WHEN $8 THEN COALESCE(within_answer_rule, false) ELSE false END,
           answered_by_agent_id = CASE WHEN $8 OR state = 'hunting' THEN answered_by_agent_id END,
           accepted_at = CASE WHEN $8 OR state = 'hunting' THEN accepted_at END
         WHERE id = $1 RETURNING *`,
        [callId, outcome, e.at, endedBy, outcome === 'missed' ? (e.missedReason ?? null) : null, talk, wait, answered],
      );
      if (rows[0]) await recordCallEndEffects(tx, callId, this.endEffects(), e.at);
      return rows[0] ? toCall(rows[0]) : null;
    });
  }

  async correctEnd(callId: string, from: { outcome: CallOutcome; missedReason: string | null }, to: { outcome: 'missed' | 'abandoned'; at: Date; endedBy: EndedBy; missedReason?: string }, now: Date): Promise<Call | null> {
    return this.db.transaction(async (tx) => {
      const rows = await tx.query<CallRow>(
        `UPDATE calls SET outcome = $4, ended_at = $5, ended_by = $6, missed_reason = $7::text,
           wait_seconds = GREATEST(0, EXTRACT(EPOCH FROM ($5::timestamptz - started_at)))
          WHERE id = $1 AND state = 'ended' AND outcome = $2 AND missed_reason IS NOT DISTINCT FROM $3::text RETURNING *`,
        [callId, from.outcome, from.missedReason, to.outcome, to.at, to.endedBy, to.outcome === 'missed' ? (to.missedReason ?? null) : null],
      );
      if (rows[0]) await owedAgain(tx, callId, now);
      return rows[0] ? toCall(rows[0]) : null;
    });
  }

  async markWaiting(callId: string, at: Date): Promise<void> {
    await this.db.query(`UPDATE calls SET waiting_since = COALESCE(waiting_since, $2) WHERE id = $1 AND state = 'hunting'`, [callId, at]);
  }

  async stopWaiting(callId: string, at: Date): Promise<void> {
    await this.db.query(
      `UPDATE calls SET line_wait_seconds = line_wait_seconds + GREATEST(0, EXTRACT(EPOCH FROM ($2::timestamptz - waiting_since))), waiting_since = NULL
        WHERE id = $1 AND waiting_since IS NOT NULL`,
      [callId, at],
    );
  }

  async listStaleConnected(acceptedBefore: Date, limit: number): Promise<Call[]> {
    const rows = await this.db.query<CallRow>(
      `SELECT * FROM calls WHERE state = 'connected' AND accepted_at < $1 ORDER BY accepted_at, id LIMIT $2`,
      [acceptedBefore, limit],
    );
    return rows.map(toCall);
  }

  async listOverdueHunting(startedBefore: Date, limit: number): Promise<Call[]> {
    const rows = await this.db.query<CallRow>(
      `SELECT * FROM calls WHERE state = 'hunting' AND started_at < $1 ORDER BY started_at, id LIMIT $2`,
      [startedBefore, limit],
    );
    return rows.map(toCall);
  }

  /** The accepted attempt is the latest one accepted: an earlier accepted one was never bridged and is finished. */
  async terminalEventsOf(callId: string): Promise<Awaited<ReturnType<CallStore['terminalEventsOf']>>> {
    const terminal = `('completed', 'canceled', 'busy', 'failed', 'no-answer')`;
    type Row = { call_status: string; event_at: Date };
    const caller = await this.db.query<Row>(
      `SELECT e.call_status, e.event_at FROM call_events e JOIN calls c ON c.call_sid = e.call_sid
        WHERE c.id = $1 AND e.call_status IN ${terminal} ORDER BY e.event_at LIMIT 1`,
      [callId],
    );
    const agentLeg = await this.db.query<Row>(
      `SELECT l.call_status, l.event_at FROM leg_events l
        WHERE l.attempt_id = (SELECT a.id FROM ring_attempts a WHERE a.call_id = $1 AND a.accepted_at IS NOT NULL ORDER BY a.accepted_at DESC, a.seq DESC LIMIT 1)
          AND l.call_status IN ${terminal} ORDER BY l.event_at LIMIT 1`,
      [callId],
    );
    const end = (r: Row | undefined) => (r ? { status: r.call_status, at: r.event_at } : null);
    return { caller: end(caller[0]), agentLeg: end(agentLeg[0]) };
  }

  async recordCallEvent(e: CallEvent): Promise<boolean> {
    const rows = await this.db.query(
      `INSERT INTO call_events (call_sid, call_status, sequence_number, event_at, received_at, duration_seconds)
       VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING RETURNING call_sid`,
      [e.callSid, e.callStatus, e.sequenceNumber, e.eventAt, e.receivedAt, e.durationSeconds],
    );
    return rows.length > 0;
  }
}

/**
 * The agent who took this connected call was never put through: their attempt (the key press
 * that connected it) finished not-bridged, and the Dial action that said so failed before the
 * call went back to hunting (a deadlock, its retry spooled). Such a call was never answered.
 */
async function neverPutThrough(tx: Queryable, call: CallRow): Promise<boolean> {
  if (call.state !== 'connected' || !call.answered_by_agent_id || !call.accepted_at) return false;
  const rows = await tx.query(
    `SELECT 1 FROM ring_attempts WHERE call_id = $1 AND agent_id = $2 AND accepted_at = $3 AND outcome = 'not-bridged' LIMIT 1`,
    [call.id, call.answered_by_agent_id, call.accepted_at],
  );
  return rows.length > 0;
}
