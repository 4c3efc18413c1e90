import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client } from 'pg';
import { livedOutcome, recordAgrees } from '../../src/simulator/simulation';
import type { CallTranscript } from '../../src/simulator/twilio-model';

/**
 * What the database says after a load run, read directly (not through the API), against what
 * the simulated callers lived. A call "arrived" when its first incoming webhook was sent; one that
 * arrived while a service was stopped is counted apart: it must be on record too, once the
 * instances' spools are replayed (waitForSettled waits for that before anything is counted).
 */
export interface OutageWindow {
  from: Date;
  to: Date;
}

export interface RecordFindings {
  arrived: number;
  arrivedDuringOutage: number;
  /** Arrived while the services were up, and not on record as ended. */
  lost: string[];
  /** Of those, no row at all / a row still hunting or connected. */
  lostNoRow: number;
  lostNotEnded: number;
  /** Arrived during an outage and not on record as ended. */
  outageNotOnRecord: number;
  onRecord: Record<string, number>;
  /** Calls whose recorded outcome differs from what the caller lived. */
  outcomeDiffers: number;
  outcomeExamples: string[];
  /**
   * Callers who hung up after the hotline had turned them away (its apology playing): they lived
   * a hang-up, and are on record as missed, as the who-left-first rule says. When no other outcome
   * differs and every call ended, the lived and recorded totals differ by these calls alone.
   */
  hungUpWhenTurnedAway: number;
  /** Calls with more than one accepted ring attempt (an outcome counted twice). */
  countedTwice: number;
  /** Pairs of ring attempts of one agent for two calls that overlap in time. */
  overlappingRings: number;
  overlapExamples: string[];
  attemptsWithoutLeg: number;
  firstOffers: { agents: number; max: number; min: number };
  /** Ended calls whose call-end effects (callback, customer file) are not done. */
  effectsUndone: number;
  /** Calls on record as missed that no callback answers for (R4), and of those, how many arrived during an outage. */
  missedWithoutCallback: number;
  outageMissedWithoutCallback: number;
}

const inOutage = (at: Date, windows: OutageWindow[]) => windows.some((w) => at >= w.from && at <= w.to);

export async function readRecord(
  databaseUrl: string,
  o: { arrivals: Map<string, Date>; outages: OutageWindow[]; transcripts: CallTranscript[]; maxCallerWaitSeconds: number },
): Promise<RecordFindings> {
  const db = new Client({ connectionString: databaseUrl });
  await db.connect();
  try {
    const sids = [...o.arrivals.keys()];
    const rows = await db.query<{ call_sid: string; state: string; outcome: string | null; missed_reason: string | null; ended_by: string | null; started_at: Date; ended_at: Date | null; has_callback: boolean }>(
      `SELECT c.call_sid, c.state, c.outcome, c.missed_reason, c.ended_by, c.started_at, c.ended_at, EXISTS (SELECT 1 FROM callback_calls cc WHERE cc.call_id = c.id) AS has_callback
         FROM calls c WHERE c.call_sid = ANY($1)`,
      [sids],
    );
    const bySid = new Map(rows.rows.map((r) => [r.call_sid, r]));
    const lost: string[] = [];
    let lostNoRow = 0;
    let lostNotEnded = 0;
    let arrivedDuringOutage = 0;
    let outageNotOnRecord = 0;
    let missedWithoutCallback = 0;
    let outageMissedWithoutCallback = 0;
    for (const [sid, at] of o.arrivals) {
      const row = bySid.get(sid);
      const ended = row?.state === 'ended';
      if (row?.outcome === 'missed' && !row.has_callback) {
        missedWithoutCallback++;
        if (inOutage(at, o.outages)) outageMissedWithoutCallback++;
      }
      if (inOutage(at, o.outages)) {
        arrivedDuringOutage++;
        if (!ended) outageNotOnRecord++;
        continue;
      }
      if (ended) continue;
      lost.push(sid);
      if (!row) lostNoRow++;
      else lostNotEnded++;
    }
    const onRecord: Record<string, number> = {};
    for (const r of rows.rows) {
      const k = r.state === 'ended' ? (r.outcome ?? 'ended') : r.state;
      onRecord[k] = (onRecord[k] ?? 0) + 1;
    }
    let outcomeDiffers = 0;
    let hungUpWhenTurnedAway = 0;
    const outcomeExamples: string[] = [];
    for (const t of o.transcripts) {
      const row = bySid.get(t.callSid);
      if (row?.state !== 'ended') continue;
      const agrees = recordAgrees(t, { startedAt: row.started_at, endedAt: row.ended_at, outcome: row.outcome, missedReason: row.missed_reason, endedBy: row.ended_by }, o.maxCallerWaitSeconds);
      if (agrees && row.outcome === 'missed' && livedOutcome(t) === 'abandoned') hungUpWhenTurnedAway++;
      if (!agrees) {
        outcomeDiffers++;
        if (outcomeExamples.length < 3)
          outcomeExamples.push(`${t.callSid.slice(0, 10)}… lived ${livedOutcome(t)} (hung up ${t.callerHungUp}, ended by hotline ${t.endedByHotline}), on record ${row.outcome} (${row.missed_reason ?? '-'}, ended by ${row.ended_by ?? '-'})`);
      }
    }
    const twice = await db.query<{ n: string }>(
      `SELECT count(*) AS n FROM (SELECT call_id FROM ring_attempts WHERE outcome = 'accepted' GROUP BY call_id HAVING count(*) > 1) x`,
    );
    // An agent's phone is taken by a call from its leg's first status event to its last one, in
    // Twilio's own Timestamps (whole seconds). An attempt with no leg event never rang (the caller
    // was gone, the agent was busy before Twilio dialled); it is counted apart. Two legs of one
    // agent for two calls must never overlap.
    const overlaps = await db.query<{ agent_id: string; xs: Date; xe: Date; xo: string; ys: Date; ye: Date; yo: string }>(
      `WITH leg AS (
         SELECT attempt_id, min(event_at) AS s,
                max(event_at) FILTER (WHERE call_status IN ('completed', 'busy', 'no-answer', 'failed', 'canceled')) AS e
           FROM leg_events GROUP BY attempt_id),
       span AS (
         SELECT r.agent_id, r.call_id, r.outcome, leg.s, coalesce(leg.e, r.finished_at, c.ended_at) AS e
           FROM ring_attempts r JOIN calls c ON c.id = r.call_id JOIN leg ON leg.attempt_id = r.id)
       SELECT x.agent_id, x.s AS xs, x.e AS xe, x.outcome AS xo, y.s AS ys, y.e AS ye, y.outcome AS yo FROM span x JOIN span y
         ON x.agent_id = y.agent_id AND x.call_id < y.call_id AND x.s < y.e AND y.s < x.e`,
    );
    const withoutLeg = await db.query<{ n: string }>(
      `SELECT count(*) AS n FROM ring_attempts r WHERE NOT EXISTS (SELECT 1 FROM leg_events l WHERE l.attempt_id = r.id)`,
    );
    const offers = await db.query<{ n: string }>(
      `SELECT count(r.call_id) AS n FROM agents a LEFT JOIN ring_attempts r ON r.agent_id = a.id AND r.seq = 0 WHERE a.active GROUP BY a.id`,
    );
    const counts = offers.rows.map((r) => Number(r.n));
    const effects = await db.query<{ n: string }>(
      `SELECT count(DISTINCT e.call_id) AS n FROM call_end_effects e JOIN calls c ON c.id = e.call_id WHERE c.state = 'ended' AND e.status <> 'done'`,
    );
    return {
      arrived: o.arrivals.size,
      arrivedDuringOutage,
      lost,
      lostNoRow,
      lostNotEnded,
      outageNotOnRecord,
      onRecord,
      outcomeDiffers,
      outcomeExamples,
      hungUpWhenTurnedAway,
      countedTwice: Number(twice.rows[0]!.n),
      overlappingRings: overlaps.rows.length,
      attemptsWithoutLeg: Number(withoutLeg.rows[0]!.n),
      overlapExamples: overlaps.rows.slice(0, 3).map((r) => `agent ${r.agent_id.slice(0, 8)}: ${r.xo} ${r.xs.toISOString()}–${r.xe?.toISOString()} and ${r.yo} ${r.ys.toISOString()}–${r.ye?.toISOString()}`),
      firstOffers: { agents: counts.length, max: Math.max(0, ...counts), min: counts.length ? Math.min(...counts) : 0 },
      effectsUndone: Number(effects.rows[0]!.n),
      missedWithoutCallback,
      outageMissedWithoutCallback,
    };
  } finally {
    await db.end();
  }
}

/** Events still waiting in the instances' spools (SPOOL_DIR/events.jsonl, one line each). */
export function spooledLines(spoolDirs: string[]): number {
  let lines = 0;
  for (const dir of spoolDirs) {
    try {
      lines += readFileSync(join(dir, 'events.jsonl'), 'utf8').split('\n').length - 1;
    } catch {
      // no file yet: nothing was spooled there
    }
  }
  return lines;
}

/**
 * Waits (up to `seconds`) until the instances' spools are drained into the database, then until
 * every arrived call that has a row is ended: calls put through while PostgreSQL was down get
 * their rows only from the replay, and settlers and late callbacks finish the rest.
 */
export async function waitForSettled(databaseUrl: string, sids: string[], spoolDirs: string[], seconds: number): Promise<{ open: number; spooled: number }> {
  const deadline = Date.now() + seconds * 1000;
  let spooled = spooledLines(spoolDirs);
  while (spooled > 0 && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    spooled = spooledLines(spoolDirs);
  }
  return { open: await waitForEnded(databaseUrl, sids, (deadline - Date.now()) / 1000), spooled };
}

/**
 * Waits (up to `seconds`) until every arrived call that has a row is ended and the work owed to
 * each ended call is done: settlers and late callbacks finish the calls, and the call-end outbox
 * its effects (one a killed instance had taken waits out its lease, then runs on a survivor; one
 * given up is final, and left to the checks to report).
 */
export async function waitForEnded(databaseUrl: string, sids: string[], seconds: number): Promise<number> {
  const deadline = Date.now() + seconds * 1000;
  let open = sids.length;
  do {
    const db = new Client({ connectionString: databaseUrl });
    let undone = 1;
    try {
      await db.connect();
      const r = await db.query<{ n: string }>(`SELECT count(*) AS n FROM calls WHERE call_sid = ANY($1) AND state <> 'ended'`, [sids]);
      open = Number(r.rows[0]!.n);
      const e = await db.query<{ n: string }>(
        `SELECT count(*) AS n FROM call_end_effects e JOIN calls c ON c.id = e.call_id WHERE c.call_sid = ANY($1) AND c.state = 'ended' AND e.status IN ('pending', 'running')`,
        [sids],
      );
      undone = Number(e.rows[0]!.n);
    } catch {
      // the database may still be coming back from a fault
    } finally {
      await db.end().catch(() => undefined);
    }
    if (open === 0 && undone === 0) return 0;
    await new Promise((resolve) => setTimeout(resolve, 1_000));
  } while (Date.now() < deadline);
  return open;
}
