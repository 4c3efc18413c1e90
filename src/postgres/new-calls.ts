import type { Call, NewCall } from '../domain/ports';
import { toCall, type CallRow } from './call-rows';
import { DEADLOCK, isConnectFailure, SERIALIZATION_FAILURE } from './database-unreachable';
import type { Queryable } from './db';
import { GroupCommit, type BatchFailure } from './group-commit';

/** A call that arrived with no screening: let through, as one that passed it. */
const NOT_SCREENED = { blocked: false, internal: false, warned: false, refused: false };

/** A new call as recorded, and whether this request wrote it (false for a repeated request). */
type Recorded = { call: Call; created: boolean };

export interface NewCallRequest {
  call: NewCall;
  rotationOffset: number;
}

/**
 * A new call's first record, each in one statement with the others that arrived meanwhile (see
 * GroupCommit): no look for the CallSid before the insert. A call whose CallSid is already on
 * record (a repeated request) is not written again: its answer is the call on record, with
 * created=false, as it is for the second of two requests for one CallSid in one statement.
 */
export class NewCalls {
  private readonly commits: GroupCommit<NewCallRequest, Recorded>;

  constructor(
    private readonly db: Queryable,
    o: { maxInFlight: number; maxBatch: number } = { maxInFlight: 2, maxBatch: 64 },
  ) {
    this.commits = new GroupCommit((batch) => this.write(batch), { ...o, failure: failureOf });
  }

  create(call: NewCall, rotationOffset: number): Promise<Recorded> {
    const request = { call, rotationOffset };
    // A blocked or internal caller's row fires the rollup trigger (migration 0018), which locks
    // the rollup rows of its hotline: written alone, as before, so that no statement locks two
    // hotlines' rollups, in an order another statement could cross.
    if (call.screening?.blocked || call.screening?.internal) return this.write([request]).then((answers) => answers[0]!);
    return this.commits.submit(request);
  }

  private async write(batch: NewCallRequest[]): Promise<(Recorded | Promise<Recorded>)[]> {
    const col = <T>(f: (r: NewCallRequest) => T) => batch.map(f);
    const screenings = batch.map((r) => r.call.screening ?? NOT_SCREENED);
    // A refused call (blocked, or internal and not let through) is over the moment it arrives, with no outcome.
    const rows = await this.db.query<CallRow>(
      `INSERT INTO calls (id, call_sid, from_number, to_number, caller_name, started_at, rotation_offset, blocked, internal, warned,
         state, ended_at, ended_by, missed_reason, waiting_since)
       SELECT COALESCE(u.id, gen_random_uuid()), u.sid, u.from_number, u.to_number, u.caller_name, u.started_at, u.rotation, u.blocked, u.internal, u.warned,
         CASE WHEN u.refused THEN 'ended' ELSE 'hunting' END,
         CASE WHEN u.refused THEN u.started_at END,
         CASE WHEN u.refused THEN 'system' END,
         CASE WHEN u.refused THEN CASE WHEN u.blocked THEN 'blocked' ELSE 'internal' END END,
         CASE WHEN NOT u.refused THEN u.waiting_since END
       FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::text[], $6::timestamptz[], $7::bigint[],
                   $8::boolean[], $9::boolean[], $10::boolean[], $11::boolean[], $12::timestamptz[])
         WITH ORDINALITY AS u (id, sid, from_number, to_number, caller_name, started_at, rotation, blocked, internal, warned, refused, waiting_since, n)
       ORDER BY u.sid, u.n
       -- Any unique index, not only call_sid's: a call's id is derived from its CallSid (callIdFor),
       -- and two requests racing for one CallSid may meet first on the primary key.
       ON CONFLICT DO NOTHING RETURNING *`,
      [
        col((r) => r.call.id ?? null),
        col((r) => r.call.callSid),
        col((r) => r.call.from),
        col((r) => r.call.to),
        col((r) => r.call.callerName),
        col((r) => r.call.startedAt),
        col((r) => r.rotationOffset),
        screenings.map((x) => x.blocked),
        screenings.map((x) => x.internal),
        screenings.map((x) => x.warned),
        screenings.map((x) => x.refused),
        col((r) => r.call.waitingSince ?? null),
      ],
    );
    const inserted = new Map(rows.map((r) => [r.call_sid, r]));
    // Already on record before this statement: a repeated request. Only the repeats wait for
    // (and can fail with) this second read; the calls just written are answered without it.
    const missing = batch.map((r) => r.call.callSid).filter((sid) => !inserted.has(sid));
    const onRecord =
      missing.length === 0
        ? undefined
        : this.db.query<CallRow>('SELECT * FROM calls WHERE call_sid = ANY($1::text[])', [missing]).then((found) => new Map(found.map((r) => [r.call_sid, r])));
    // Settled through each repeat's answer; this keeps a failure from counting as unhandled meanwhile.
    onRecord?.catch(() => undefined);
    // The first request for a CallSid in the statement wrote its row (rows go in by CallSid, then
    // in the batch's order: two statements meeting on the same CallSids lock them in one order,
    // so they cannot deadlock); later ones are repeats.
    const answered = new Set<string>();
    return batch.map((r) => {
      const sid = r.call.callSid;
      const row = inserted.get(sid);
      const created = row !== undefined && !answered.has(sid);
      answered.add(sid);
      if (row) return { call: toCall(row), created };
      return onRecord!.then((found) => {
        const call = found.get(sid);
        if (!call) throw new Error(`call ${sid} neither inserted nor on record`);
        return { call: toCall(call), created: false };
      });
    });
  }
}

/**
 * What a failed statement of new calls means (BatchFailure): a value the database refuses (data
 * exceptions and integrity violations, SQLSTATE classes 22 and 23) is one call's; a deadlock or
 * serialization failure is worth one more try; a connection that could not be made fails the
 * calls queued behind it too. Anything else, a connection lost mid-statement included, fails the
 * statement's calls alone: a fresh connection may serve the next.
 */
export function failureOf(err: unknown): BatchFailure {
  if (isConnectFailure(err)) return 'down';
  const code = (err as { code?: unknown } | undefined)?.code;
  if (code === DEADLOCK || code === SERIALIZATION_FAILURE) return 'again';
  if (typeof code === 'string' && /^2[23]/.test(code)) return 'rows';
  return 'batch';
}
