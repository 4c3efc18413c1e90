import type { Clock } from '../domain/clock';
import type { Coordinator, LinePlace } from '../domain/ports';
import type { Db, Queryable } from './db';

/** A claim as a row, for copying back into Redis. */
export interface ClaimRow {
  agentId: string;
  holder: string;
  expiresAt: Date;
}

/** When the claim of a hotline attempt `ra` runs out by the record: from the key press while talking, from the offer while ringing. */
const ringClaimEnds = (ringSeconds: string, talkSeconds: string) =>
  `CASE WHEN ra.accepted_at IS NOT NULL THEN ra.accepted_at + make_interval(secs => ${talkSeconds})
        ELSE ra.offered_at + make_interval(secs => ${ringSeconds}) END`;
/** How OwnerClaims' holders begin (src/callbacks/owner-claims.ts); every other holder is a hotline call's `callId:seq`. */
const CALLBACK_HOLDER = 'callback:';
/** When the claim of a callback attempt `ca` runs out by the record: from its placing, as a talk. */
const callbackClaimEnds = (talkSeconds: string) => `ca.placed_at + make_interval(secs => ${talkSeconds})`;

/**
 * The claims the record implies: every unfinished attempt (a hotline ring or talk, a callback
 * call) of a call not ended, as (agent, holder, expiry) with the holders AgentOffers and
 * OwnerClaims use; `ringSeconds` and `talkSeconds` name the parameters of the claim lengths.
 */
const onRecord = (ringSeconds: string, talkSeconds: string) => `
  SELECT ra.agent_id, ra.call_id::text || ':' || ra.seq::text AS holder, ${ringClaimEnds(ringSeconds, talkSeconds)} AS expires_at
    FROM ring_attempts ra JOIN calls c ON c.id = ra.call_id
   WHERE ra.finished_at IS NULL AND c.state <> 'ended'
  UNION ALL
  SELECT ca.agent_id, '${CALLBACK_HOLDER}' || ca.id::text, ${callbackClaimEnds(talkSeconds)}
    FROM callback_attempts ca WHERE ca.finished_at IS NULL`;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Coordination through PostgreSQL (migration 0017), what the hotline falls back on while Redis is
 * down. Each claim is one atomic statement (INSERT ... ON CONFLICT DO UPDATE WHERE expired), so
 * two instances never claim one agent. Claims held in Redis before the outage are not in these
 * rows, so a claim that checks the record also counts an agent as busy while an attempt of theirs
 * (a hotline ring or a callback call) is unfinished on record. Time is the clock's, as in process.
 */
export class PostgresCoordinator implements Coordinator {
  constructor(
    private readonly db: Db,
    private readonly clock: Clock,
    /**
     * How long the hotline's claims live (AgentOffers): an unfinished attempt holds its agent no
     * longer than its claim would have, from the offer while ringing, from the key press while
     * talking (a callback call from its placing, as a talk).
     */
    private readonly limits: { ringMs: number; talkMs: number },
  ) {}

  /** The next value of a counter, never below `floor` (the last value Redis handed out, plus one). */
  async nextRotationFrom(key: string | undefined, floor: number): Promise<number> {
    const rows = await this.db.query<{ value: string | number }>(
      `INSERT INTO coordination_rotations (key, value) VALUES ($1, $2)
       ON CONFLICT (key) DO UPDATE SET value = GREATEST(coordination_rotations.value + 1, EXCLUDED.value)
       RETURNING value`,
      [key ?? '', floor],
    );
    return Number(rows[0]!.value);
  }

  nextRotation(key?: string): Promise<number> {
    return this.nextRotationFrom(key, 0);
  }

  claimFirstFree(agentIds: readonly string[], holder: string, ttlMs: number): Promise<string | null> {
    return this.claimFirst(agentIds, holder, ttlMs, true);
  }

  /**
   * Claims the first agent of the order that is free in these rows and, with `checkRecord`, has no
   * unfinished attempt on record for another holder. Without it (mirroring a claim Redis granted),
   * only the rows count.
   *
   * One statement for the whole order, whatever its length: it picks the first agent free in its
   * snapshot (the record read once for all of them, through the unfinished-attempt indexes of
   * migration 0020) and claims it with the same atomic upsert as ever, which re-checks the row
   * under its lock. When another instance took that agent in between, the upsert changes nothing
   * and the claim goes on from the next agent of the order: one more statement per race lost.
   */
  async claimFirst(agentIds: readonly string[], holder: string, ttlMs: number, checkRecord: boolean): Promise<string | null> {
    const now = this.clock.now();
    const expiresAt = new Date(now.getTime() + ttlMs);
    let order = [...agentIds];
    while (order.length > 0) {
      const [row] = await this.db.query<{ picked: string; claimed: string | null }>(
        `WITH busy AS (
           SELECT r.agent_id::text AS agent_id FROM (${onRecord('$6', '$7')}) r
            WHERE $5::boolean AND r.agent_id = ANY($8::uuid[]) AND r.holder <> $2 AND r.expires_at > $4
         ), pick AS (
           SELECT w.agent_id FROM unnest($1::text[]) WITH ORDINALITY AS w(agent_id, ord)
            WHERE NOT EXISTS (SELECT 1 FROM coordination_claims k WHERE k.agent_id = w.agent_id AND k.expires_at > $4 AND k.holder <> $2)
              AND NOT EXISTS (SELECT 1 FROM busy b WHERE b.agent_id = w.agent_id)
            ORDER BY w.ord LIMIT 1
         ), claimed AS (
           INSERT INTO coordination_claims (agent_id, holder, expires_at)
           SELECT agent_id, $2, $3 FROM pick
           ON CONFLICT (agent_id) DO UPDATE SET holder = EXCLUDED.holder,
             -- The holder's own live claim is renewed, never shortened (it may have been extended for a talk).
             expires_at = CASE WHEN coordination_claims.holder = EXCLUDED.holder AND coordination_claims.expires_at > $4
               THEN GREATEST(coordination_claims.expires_at, EXCLUDED.expires_at) ELSE EXCLUDED.expires_at END
           WHERE coordination_claims.expires_at <= $4 OR coordination_claims.holder = EXCLUDED.holder
           RETURNING agent_id
         )
         SELECT p.agent_id AS picked, (SELECT agent_id FROM claimed) AS claimed FROM pick p`,
        [order, holder, expiresAt, now, checkRecord, this.limits.ringMs / 1000, this.limits.talkMs / 1000, order.filter((id) => UUID.test(id))],
      );
      if (!row) return null;
      if (row.claimed !== null) return row.claimed;
      order = order.slice(order.indexOf(row.picked) + 1);
    }
    return null;
  }

  /**
   * Extends the holder's claim. A holder with no row here claimed in Redis before the outage: its
   * claim is adopted, so the talk keeps its agent, and it is copied back to Redis afterwards.
   */
  async extendClaim(agentId: string, holder: string, ttlMs: number): Promise<boolean> {
    const now = this.clock.now();
    const rows = await this.db.query(
      `INSERT INTO coordination_claims (agent_id, holder, expires_at) VALUES ($1, $2, $3)
       ON CONFLICT (agent_id) DO UPDATE SET holder = EXCLUDED.holder, expires_at = EXCLUDED.expires_at
       WHERE coordination_claims.expires_at <= $4 OR coordination_claims.holder = EXCLUDED.holder
       RETURNING agent_id`,
      [agentId, holder, new Date(now.getTime() + ttlMs), now],
    );
    return rows.length > 0;
  }

  async releaseClaim(agentId: string, holder: string): Promise<boolean> {
    const rows = await this.db.query(`DELETE FROM coordination_claims WHERE agent_id = $1 AND holder = $2 AND expires_at > $3 RETURNING agent_id`, [
      agentId,
      holder,
      this.clock.now(),
    ]);
    return rows.length > 0;
  }

  /** Notes a release Redis did not see, to replay it there when Redis is back. */
  async noteRelease(agentId: string, holder: string): Promise<void> {
    await this.db.query(
      `INSERT INTO coordination_releases (agent_id, holder, released_at) VALUES ($1, $2, $3) ON CONFLICT (agent_id, holder) DO NOTHING`,
      [agentId, holder, this.clock.now()],
    );
  }

  async holderOf(agentId: string): Promise<string | null> {
    const [row] = await this.db.query<{ holder: string }>(`SELECT holder FROM coordination_claims WHERE agent_id = $1 AND expires_at > $2`, [agentId, this.clock.now()]);
    return row?.holder ?? null;
  }

  /** Only the rows count: an agent busy on the record alone is counted unclaimed (the pass then looks). */
  async anyUnclaimed(agentIds: readonly string[]): Promise<boolean> {
    const ids = [...new Set(agentIds)];
    if (ids.length === 0) return false;
    const [row] = await this.db.query<{ n: string | number }>(`SELECT count(*) AS n FROM coordination_claims WHERE agent_id = ANY($1::text[]) AND expires_at > $2`, [
      ids,
      this.clock.now(),
    ]);
    return Number(row!.n) < ids.length;
  }

  /** A caller who left and comes back (a failed move) keeps their first place. */
  async enterLine(line: string, callId: string, arrivedAtMs: number): Promise<number> {
    await this.db.query(
      `INSERT INTO coordination_line (line, call_id, arrived_at_ms) VALUES ($1, $2, $3)
       ON CONFLICT (call_id) DO UPDATE SET left_at = NULL WHERE coordination_line.left_at IS NOT NULL`,
      [line, callId, arrivedAtMs],
    );
    return (await this.linePosition(callId)) ?? 0;
  }

  /** A caller who left the line (taken from this row) and is back: their row is open again, if there is one. */
  async rejoinLine(callId: string): Promise<boolean> {
    return (await this.db.query(`UPDATE coordination_line SET left_at = NULL WHERE call_id = $1 AND left_at IS NOT NULL RETURNING call_id`, [callId])).length > 0;
  }

  async leaveLine(callId: string): Promise<boolean> {
    return (await this.leaveLineDeciding(callId)) === 'took';
  }

  /**
   * Takes the caller out: `took` for the one taker, `gone` when another took them first, `absent`
   * when they were never in these rows (they entered the line in Redis only).
   */
  async leaveLineDeciding(callId: string): Promise<'took' | 'gone' | 'absent'> {
    const [row] = await this.db.query<{ took: boolean; known: boolean }>(
      `WITH took AS (UPDATE coordination_line SET left_at = $2 WHERE call_id = $1 AND left_at IS NULL RETURNING call_id)
       SELECT EXISTS (SELECT 1 FROM took) AS took, EXISTS (SELECT 1 FROM coordination_line WHERE call_id = $1) AS known`,
      [callId, this.clock.now()],
    );
    return row!.took ? 'took' : row!.known ? 'gone' : 'absent';
  }

  async waitingLines(): Promise<string[]> {
    const rows = await this.db.query<{ line: string }>(`SELECT DISTINCT line FROM coordination_line WHERE left_at IS NULL`);
    return rows.map((r) => r.line);
  }

  async lineMembers(line: string, limit: number, after?: LinePlace): Promise<LinePlace[]> {
    const rows = await this.db.query<{ call_id: string; arrived_at_ms: string | number }>(
      `SELECT call_id, arrived_at_ms FROM coordination_line
        WHERE line = $1 AND left_at IS NULL AND ($3::bigint IS NULL OR (arrived_at_ms, call_id) > ($3::bigint, $4::text))
        ORDER BY arrived_at_ms, call_id LIMIT $2`,
      [line, limit, after?.arrivedAtMs ?? null, after?.callId ?? null],
    );
    return rows.map((r) => ({ callId: r.call_id, arrivedAtMs: Number(r.arrived_at_ms) }));
  }

  async linePosition(callId: string): Promise<number | null> {
    const [row] = await this.db.query<{ ahead: string | number }>(
      `SELECT (SELECT count(*) FROM coordination_line o
                WHERE o.line = m.line AND o.left_at IS NULL AND (o.arrived_at_ms, o.call_id) < (m.arrived_at_ms, m.call_id)) AS ahead
         FROM coordination_line m WHERE m.call_id = $1 AND m.left_at IS NULL`,
      [callId],
    );
    return row ? Number(row.ahead) : null;
  }

  /**
   * The claims the record implies now (unfinished attempts), to put back into a Redis that lost
   * its keys (restarted without persistence) or never saw them.
   */
  async claimsOnRecord(): Promise<ClaimRow[]> {
    const rows = await this.db.query<{ agent_id: string; holder: string; expires_at: Date }>(
      `SELECT r.agent_id::text AS agent_id, r.holder, r.expires_at FROM (${onRecord('$2', '$3')}) r WHERE r.expires_at > $1`,
      [this.clock.now(), this.limits.ringMs / 1000, this.limits.talkMs / 1000],
    );
    return rows.map((r) => ({ agentId: r.agent_id, holder: r.holder, expiresAt: new Date(r.expires_at) }));
  }

  /**
   * Where the claim of `holder` on this agent stands by the record: `live` while its attempt is
   * unfinished and within the time the claim could last, `over` once it is finished, its call
   * ended, or past that time, `none` without an attempt on record (a claim a moment ahead of its
   * attempt, or a holder that is not the hotline's).
   */
  async claimOnRecord(agentId: string, holder: string, q: Queryable = this.db): Promise<'live' | 'over' | 'none'> {
    if (!UUID.test(agentId)) return 'none';
    const now = this.clock.now();
    const callback = holder.startsWith(CALLBACK_HOLDER) ? holder.slice(CALLBACK_HOLDER.length) : null;
    let rows: { over: boolean }[];
    if (callback !== null) {
      if (!UUID.test(callback)) return 'none';
      rows = await q.query<{ over: boolean }>(
        `SELECT ca.finished_at IS NOT NULL OR ${callbackClaimEnds('$3')} <= $4 AS over FROM callback_attempts ca WHERE ca.id = $1 AND ca.agent_id = $2`,
        [callback, agentId, this.limits.talkMs / 1000, now],
      );
    } else {
      const [callId, seq] = holder.split(':');
      if (!callId || !UUID.test(callId) || !/^\d+$/.test(seq ?? '')) return 'none';
      rows = await q.query<{ over: boolean }>(
        `SELECT ra.finished_at IS NOT NULL OR c.state = 'ended' OR ${ringClaimEnds('$4', '$5')} <= $6 AS over
           FROM ring_attempts ra JOIN calls c ON c.id = ra.call_id
          WHERE ra.call_id = $1 AND ra.seq = $2 AND ra.agent_id = $3`,
        [callId, Number(seq), agentId, this.limits.ringMs / 1000, this.limits.talkMs / 1000, now],
      );
    }
    if (!rows[0]) return 'none';
    return rows[0].over ? 'over' : 'live';
  }

  /** Live claims, to copy back into Redis. */
  async liveClaims(): Promise<ClaimRow[]> {
    const rows = await this.db.query<{ agent_id: string; holder: string; expires_at: Date }>(
      `SELECT agent_id, holder, expires_at FROM coordination_claims WHERE expires_at > $1`,
      [this.clock.now()],
    );
    return rows.map((r) => ({ agentId: r.agent_id, holder: r.holder, expiresAt: new Date(r.expires_at) }));
  }

  /**
   * Runs `copy` (a claim's copy into Redis) while this claim's row is locked, unless the row is
   * gone (released, or expired): null then, and nothing is copied. A release deletes the row
   * before it releases in Redis (FailoverCoordinator), so it either comes first and the claim is
   * not copied, or waits for the copy and then releases the copy too: a claim released during a
   * copy back never comes back in Redis. `copy` reads the record through `tx` (one connection).
   */
  async whileClaimRow<T>(c: { agentId: string; holder: string }, copy: (tx: Queryable) => Promise<T>): Promise<T | null> {
    return this.db.transaction(async (tx) => {
      const rows = await tx.query(`SELECT 1 FROM coordination_claims WHERE agent_id = $1 AND holder = $2 AND expires_at > $3 FOR UPDATE`, [
        c.agentId,
        c.holder,
        this.clock.now(),
      ]);
      return rows.length === 0 ? null : copy(tx);
    });
  }

  /** Drops claims that Redis now holds (and any that have expired). */
  async forgetClaims(copied: readonly ClaimRow[]): Promise<void> {
    for (const c of copied) await this.db.query(`DELETE FROM coordination_claims WHERE agent_id = $1 AND holder = $2`, [c.agentId, c.holder]);
    await this.db.query(`DELETE FROM coordination_claims WHERE expires_at <= $1`, [this.clock.now()]);
  }

  /**
   * Replays the releases noted during a failover (noteRelease), oldest first, through `replay`
   * (a release in Redis), and forgets each in the same transaction. Each row is taken with a lock
   * (FOR UPDATE SKIP LOCKED), so two instances never replay the same one at once, and one that
   * dies mid-way leaves what it had not committed to the next. Returns how many were replayed.
   */
  async replayReleases(replay: (r: { agentId: string; holder: string }) => Promise<unknown>, limit = 100): Promise<number> {
    // The usual answer (none noted) without a transaction: every instance on Redis asks each second.
    if ((await this.db.query(`SELECT 1 FROM coordination_releases LIMIT 1`)).length === 0) return 0;
    return this.db.transaction(async (tx) => {
      const rows = await tx.query<{ agent_id: string; holder: string }>(
        `SELECT agent_id, holder FROM coordination_releases ORDER BY released_at LIMIT $1 FOR UPDATE SKIP LOCKED`,
        [limit],
      );
      for (const r of rows) {
        await replay({ agentId: r.agent_id, holder: r.holder });
        await tx.query(`DELETE FROM coordination_releases WHERE agent_id = $1 AND holder = $2`, [r.agent_id, r.holder]);
      }
      return rows.length;
    });
  }

  async lineEntries(): Promise<({ line: string } & LinePlace)[]> {
    const rows = await this.db.query<{ line: string; call_id: string; arrived_at_ms: string | number }>(
      `SELECT line, call_id, arrived_at_ms FROM coordination_line WHERE left_at IS NULL ORDER BY arrived_at_ms, call_id`,
    );
    return rows.map((r) => ({ line: r.line, callId: r.call_id, arrivedAtMs: Number(r.arrived_at_ms) }));
  }

  /** Drops the line's rows once Redis holds its callers: those copied, and those who left. */
  async forgetLine(copied: readonly LinePlace[]): Promise<void> {
    await this.db.query(`DELETE FROM coordination_line WHERE call_id = ANY($1::text[]) OR left_at IS NOT NULL`, [copied.map((m) => m.callId)]);
  }

  async rotations(): Promise<{ key: string | undefined; value: number }[]> {
    const rows = await this.db.query<{ key: string; value: string | number }>(`SELECT key, value FROM coordination_rotations`);
    return rows.map((r) => ({ key: r.key === '' ? undefined : r.key, value: Number(r.value) }));
  }

  /** Says, for the next few seconds (database time), that this instance coordinates here. */
  async markInFallback(instanceId: string, seconds: number): Promise<void> {
    await this.db.query(
      `INSERT INTO coordination_fallback (instance_id, until) VALUES ($1, now() + make_interval(secs => $2))
       ON CONFLICT (instance_id) DO UPDATE SET until = EXCLUDED.until`,
      [instanceId, seconds],
    );
  }

  async clearFallback(instanceId: string): Promise<void> {
    await this.db.query(`DELETE FROM coordination_fallback WHERE instance_id = $1`, [instanceId]);
  }

  /** Whether another instance coordinates here now (its claims are not in Redis). */
  async othersInFallback(instanceId: string): Promise<boolean> {
    const rows = await this.db.query(`SELECT 1 FROM coordination_fallback WHERE instance_id <> $1 AND until > now() LIMIT 1`, [instanceId]);
    return rows.length > 0;
  }

  async ping(): Promise<void> {
    await this.db.query('SELECT 1');
  }

  /** The database belongs to the container; nothing of its own to close. */
  async close(): Promise<void> {}
}
