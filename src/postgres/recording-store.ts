import type { RecordingKind, RecordingStatus } from '../domain/recording-rules';
import type { Db } from './db';

/** A recording as the product shows it: never with Twilio's media URL (R12). */
export interface Recording {
  id: string;
  callId: string;
  recordingSid: string;
  kind: RecordingKind;
  agentId: string | null;
  hotline: string | null;
  seconds: number | null;
  channels: number | null;
  status: RecordingStatus;
  createdAt: Date;
  deleteAfter: Date;
  heldReason: string | null;
  heldBy: string | null;
  deletedAt: Date | null;
}

export interface RecordingListen {
  recordingId: string;
  callId: string;
  actor: string;
  ip: string | null;
  at: Date;
}

/** Where a recording's callback says it belongs: our call, its agent and hotline. */
export interface RecordingOwner {
  callId: string;
  agentId: string | null;
  hotline: string | null;
}

type Row = Record<string, unknown>;

const COLUMNS = 'id, call_id, recording_sid, kind, agent_id, hotline, seconds, channels, status, created_at, delete_after, held_reason, held_by, deleted_at';

const toRecording = (r: Row): Recording => ({
  id: r.id as string,
  callId: r.call_id as string,
  recordingSid: r.recording_sid as string,
  kind: r.kind as RecordingKind,
  agentId: (r.agent_id as string | null) ?? null,
  hotline: (r.hotline as string | null) ?? null,
  seconds: r.seconds === null ? null : Number(r.seconds),
  channels: r.channels === null ? null : Number(r.channels),
  status: r.status as RecordingStatus,
  createdAt: r.created_at as Date,
  deleteAfter: r.delete_after as Date,
  heldReason: (r.held_reason as string | null) ?? null,
  heldBy: (r.held_by as string | null) ?? null,
  deletedAt: (r.deleted_at as Date | null) ?? null,
});

const toOwner = (r: Row | undefined): RecordingOwner | null =>
  r ? { callId: r.call_id as string, agentId: (r.agent_id as string | null) ?? null, hotline: (r.hotline as string | null) ?? null } : null;

/** Recordings and their listens (migration 0035). */
export class PostgresRecordingStore {
  constructor(private readonly db: Db) {}

  /** The hotline call a ring attempt belongs to, with the attempt's agent. */
  async ownerOfAttempt(attemptId: string): Promise<RecordingOwner | null> {
    const [r] = await this.db.query<Row>(
      `SELECT a.call_id, a.agent_id, c.to_number AS hotline FROM ring_attempts a JOIN calls c ON c.id = a.call_id WHERE a.id = $1`,
      [attemptId],
    );
    return toOwner(r);
  }

  /** The last call of a callback attempt's callback (the one the customer last called about), with the attempt's agent. */
  async ownerOfCallbackAttempt(attemptId: string): Promise<RecordingOwner | null> {
    const [r] = await this.db.query<Row>(
      `SELECT cc.call_id, ca.agent_id, cb.hotline_number AS hotline
         FROM callback_attempts ca JOIN callbacks cb ON cb.id = ca.callback_id JOIN callback_calls cc ON cc.callback_id = cb.id
        WHERE ca.id = $1 ORDER BY cc.joined_at DESC LIMIT 1`,
      [attemptId],
    );
    return toOwner(r);
  }

  /** A CallSid as Twilio reports it (the caller's leg, or a dialled leg): the call it belongs to, as voice-status maps it. */
  async ownerOfCallSid(callSid: string): Promise<RecordingOwner | null> {
    const [r] = await this.db.query<Row>(
      `(SELECT a.call_id, a.agent_id, c.to_number AS hotline FROM ring_attempts a JOIN calls c ON c.id = a.call_id WHERE a.child_call_sid = $1 LIMIT 1)
       UNION ALL
       (SELECT id AS call_id, answered_by_agent_id AS agent_id, to_number AS hotline FROM calls WHERE call_sid = $1)
       LIMIT 1`,
      [callSid],
    );
    return toOwner(r);
  }

  /** Stores a completed recording once: a callback delivered again changes nothing but a missing duration. */
  async upsert(r: { owner: RecordingOwner; recordingSid: string; kind: RecordingKind; seconds: number | null; channels: number | null; mediaUrl: string; at: Date; deleteAfter: Date }): Promise<{ recording: Recording; created: boolean }> {
    const [row] = await this.db.query<Row>(
      `INSERT INTO recordings (call_id, recording_sid, kind, agent_id, hotline, seconds, channels, media_url, created_at, delete_after)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
       ON CONFLICT (recording_sid) DO UPDATE SET seconds = COALESCE(recordings.seconds, EXCLUDED.seconds), channels = COALESCE(recordings.channels, EXCLUDED.channels)
       RETURNING ${COLUMNS}, (xmax = 0) AS created`,
      [r.owner.callId, r.recordingSid, r.kind, r.owner.agentId, r.owner.hotline, r.seconds, r.channels, r.mediaUrl, r.at, r.deleteAfter],
    );
    return { recording: toRecording(row!), created: row!.created === true };
  }

  async get(id: string): Promise<Recording | null> {
    const [r] = await this.db.query<Row>(`SELECT ${COLUMNS} FROM recordings WHERE id = $1`, [id]);
    return r ? toRecording(r) : null;
  }

  /** A call's recordings: conversations first, then callbacks, then voice messages; the newest first within each. */
  async ofCall(callId: string): Promise<Recording[]> {
    const rows = await this.db.query<Row>(
      `SELECT ${COLUMNS} FROM recordings WHERE call_id = $1
        ORDER BY CASE kind WHEN 'conversation' THEN 0 WHEN 'callback' THEN 1 ELSE 2 END, created_at DESC`,
      [callId],
    );
    return rows.map(toRecording);
  }

  /** The media address at Twilio, for the server's own fetch and delete only. */
  async mediaUrl(id: string): Promise<string | null> {
    const [r] = await this.db.query<Row>('SELECT media_url FROM recordings WHERE id = $1', [id]);
    return (r?.media_url as string | undefined) ?? null;
  }

  async list(q: { from?: Date; to?: Date; agentId?: string; limit: number }): Promise<Recording[]> {
    const rows = await this.db.query<Row>(
      `SELECT ${COLUMNS} FROM recordings
        WHERE ($1::timestamptz IS NULL OR created_at >= $1) AND ($2::timestamptz IS NULL OR created_at < $2) AND ($3::uuid IS NULL OR agent_id = $3)
        ORDER BY created_at DESC LIMIT $4`,
      [q.from ?? null, q.to ?? null, q.agentId ?? null, q.limit],
    );
    return rows.map(toRecording);
  }

  /** Holds every recording of a call that is not deleted; returns those held. */
  async hold(callId: string, reason: string, by: string): Promise<Recording[]> {
    const rows = await this.db.query<Row>(
      `UPDATE recordings SET status = 'held', held_reason = $2, held_by = $3 WHERE call_id = $1 AND status <> 'deleted' RETURNING ${COLUMNS}`,
      [callId, reason, by],
    );
    return rows.map(toRecording);
  }

  async release(callId: string): Promise<Recording[]> {
    const rows = await this.db.query<Row>(
      `UPDATE recordings SET status = 'available', held_reason = NULL, held_by = NULL WHERE call_id = $1 AND status = 'held' RETURNING ${COLUMNS}`,
      [callId],
    );
    return rows.map(toRecording);
  }

  /**
   * Recordings past their keeping date, not held, and whose call is in no complaint case still
   * open (R11: a complaint's evidence is kept until the case is closed).
   */
  async due(now: Date, limit: number): Promise<Recording[]> {
    const rows = await this.db.query<Row>(
      `SELECT ${COLUMNS} FROM recordings r
        WHERE r.status = 'available' AND r.delete_after <= $1
          AND NOT EXISTS (SELECT 1 FROM complaint_calls cc JOIN complaint_cases k ON k.id = cc.case_id WHERE cc.call_id = r.call_id AND k.status <> 'closed')
        ORDER BY r.delete_after LIMIT $2`,
      [now, limit],
    );
    return rows.map(toRecording);
  }

  async markDeleted(id: string, at: Date): Promise<boolean> {
    const rows = await this.db.query<Row>(`UPDATE recordings SET status = 'deleted', deleted_at = $2 WHERE id = $1 AND status = 'available' RETURNING id`, [id, at]);
    return rows.length > 0;
  }

  async addListen(l: RecordingListen): Promise<void> {
    await this.db.query('INSERT INTO recording_listens (recording_id, call_id, actor, ip, at) VALUES ($1, $2, $3, $4, $5)', [l.recordingId, l.callId, l.actor, l.ip, l.at]);
  }

  /** When `actor` last began a listen of the recording, if ever. */
  async lastListen(recordingId: string, actor: string): Promise<Date | null> {
    const [r] = await this.db.query<Row>('SELECT max(at) AS at FROM recording_listens WHERE recording_id = $1 AND actor = $2', [recordingId, actor]);
    return r?.at ? new Date(r.at as Date | string) : null;
  }

  async listens(q: { recordingId?: string; callId?: string; limit: number }): Promise<RecordingListen[]> {
    const rows = await this.db.query<Row>(
      `SELECT recording_id, call_id, actor, ip, at FROM recording_listens
        WHERE ($1::uuid IS NULL OR recording_id = $1) AND ($2::uuid IS NULL OR call_id = $2) ORDER BY at DESC, id DESC LIMIT $3`,
      [q.recordingId ?? null, q.callId ?? null, q.limit],
    );
    return rows.map((r) => ({ recordingId: r.recording_id as string, callId: r.call_id as string, actor: r.actor as string, ip: (r.ip as string | null) ?? null, at: r.at as Date }));
  }
}
