import type { Call, NewCall } from '../domain/ports';
import { toCall, type CallRow } from './call-rows';
import { isDatabaseUnreachable } from './database-unreachable';
import type { Queryable } from './db';
import { GroupCommit } from './group-commit';

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
  private readonly commits: GroupCommit<NewCallRequest, { call: Call; created: boolean }>;

  constructor(
    private readonly db: Queryable,
    o: { maxInFlight: number; maxBatch: number } = { maxInFlight: 2, maxBatch: 64 },
  ) {
    this.commits = new GroupCommit((batch) => this.write(batch), { ...o, rowFault: (err) => !isDatabaseUnreachable(err) });
  }

  create(call: NewCall, rotationOffset: number): Promise<{ call: Call; created: boolean }> {
    return this.commits.submit({ call, rotationOffset });
  }

  private async write(batch: NewCallRequest[]): Promise<{ call: Call; created: boolean }[]> {
    const col = <T>(f: (r: NewCallRequest) => T) => batch.map(f);
    const screening = (r: NewCallRequest) => r.call.screening ?? { blocked: false, internal: false, warned: false, refused: false };
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
       ON CONFLICT (call_sid) DO NOTHING RETURNING *`,
      [
        col((r) => r.call.id ?? null),
        col((r) => r.call.callSid),
        col((r) => r.call.from),
        col((r) => r.call.to),
        col((r) => r.call.callerName),
        col((r) => r.call.startedAt),
        col((r) => r.rotationOffset),
        col((r) => screening(r).blocked),
        col((r) => screening(r).internal),
        col((r) => screening(r).warned),
        col((r) => screening(r).refused),
        col((r) => r.call.waitingSince ?? null),
      ],
    );
    const inserted = new Map(rows.map((r) => [r.call_sid, r]));
    // Already on record before this statement: a repeated request.
    const missing = batch.map((r) => r.call.callSid).filter((sid) => !inserted.has(sid));
    const onRecord = missing.length === 0 ? new Map<string, CallRow>() : new Map((await this.db.query<CallRow>('SELECT * FROM calls WHERE call_sid = ANY($1::text[])', [missing])).map((r) => [r.call_sid, r]));
    // The first request for a CallSid in the statement wrote its row (rows go in by CallSid, then
    // in the batch's order: two statements meeting on the same CallSids lock them in one order,
    // so they cannot deadlock); later ones are repeats.
    const answered = new Set<string>();
    return batch.map((r) => {
      const sid = r.call.callSid;
      const row = inserted.get(sid);
      const created = row !== undefined && !answered.has(sid);
      answered.add(sid);
      const call = row ?? onRecord.get(sid);
      if (!call) throw new Error(`call ${sid} neither inserted nor on record`);
      return { call: toCall(call), created };
    });
  }
}
