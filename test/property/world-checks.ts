import { recordAgrees } from '../../src/simulator/simulation';
import type { Hotline } from '../support/hotline-harness';
import type { Caller, PlayedWorld, Window } from './world';

/**
 * The invariants of a played world (world.ts), each a function that returns what it saw wrong
 * (empty: it holds). Timing invariants (order, waits, idle agents) are judged from what the
 * callers and agents lived in the Twilio model, not from the record, and are not judged inside an
 * outage (or in the seconds after it): there the hotline rings from memory and the README
 * promises less.
 */
export type Invariant =
  | 'one-outcome'
  | 'one-call-per-phone'
  | 'not-rung-while-paused'
  | 'first-come-first-served'
  | 'max-wait'
  | 'no-idle-agent-while-a-caller-waits'
  | 'callback-for-every-miss'
  | 'every-lapse-fined-on-the-ladder'
  | 'claims-released'
  | 'line-empty'
  | 'spool-drained'
  | 'ended-soon-after-postgres-returns';

export const INVARIANTS: readonly Invariant[] = [
  'one-outcome',
  'one-call-per-phone',
  'not-rung-while-paused',
  'first-come-first-served',
  'max-wait',
  'no-idle-agent-while-a-caller-waits',
  'callback-for-every-miss',
  'every-lapse-fined-on-the-ladder',
  'claims-released',
  'line-empty',
  'spool-drained',
  'ended-soon-after-postgres-returns',
];

/** How long after an outage timing invariants are still not judged. */
const AFTER_OUTAGE_SECONDS = 20;
/** Seconds a caller stays in the line after another was given an agent before it counts as passed over. */
const STILL_WAITING_SECONDS = 3;

const ms = (d: Date) => d.getTime();
const s = (a: Date, b: Date) => (ms(b) - ms(a)) / 1000;

/** Whether [from, to] overlaps an outage (or the seconds after it). */
function inOutage(windows: Window[], from: Date, to: Date): boolean {
  return windows.some((w) => ms(from) <= ms(w.to) + AFTER_OUTAGE_SECONDS * 1000 && ms(to) >= ms(w.from) - 1000);
}

function done(c: Caller): c is Caller & { transcript: NonNullable<Caller['transcript']> } {
  return c.transcript !== undefined;
}

export interface Context {
  h: Hotline;
  world: PlayedWorld;
  /** Agents paused on record (the API's or auto-pause), from when. */
  pausedAt: Map<string, Date>;
}

/** Every call ends with exactly one record, ended, with the outcome its caller lived. */
export async function oneOutcome({ h, world }: Context): Promise<string[]> {
  const out: string[] = [];
  const sids = world.callers.filter(done).map((c) => c.transcript.callSid);
  const rows = await h.container.db.query<{ call_sid: string; n: number }>('SELECT call_sid, COUNT(*)::int AS n FROM calls WHERE call_sid = ANY($1) GROUP BY call_sid', [sids]);
  const count = new Map(rows.map((r) => [r.call_sid, Number(r.n)]));
  for (const c of world.callers) {
    if (!done(c)) {
      out.push(`${c.script.from}: the model could not play the call to its end`);
      continue;
    }
    const t = c.transcript;
    if ((count.get(t.callSid) ?? 0) !== 1) {
      out.push(`${t.callSid}: ${count.get(t.callSid) ?? 0} records`);
      continue;
    }
    const call = (await h.container.calls.getCallBySid(t.callSid))!;
    if (call.state !== 'ended' || !call.outcome) out.push(`${t.callSid}: ${call.state}, outcome ${call.outcome}`);
    else if (!recordAgrees(t, call, h.config.MAX_CALLER_WAIT_SECONDS)) {
      out.push(`${t.callSid}: recorded ${call.outcome} (${call.missedReason ?? '-'}), lived ${t.bridgedTo ? 'answered' : t.callerHungUp && !t.endedByHotline ? 'abandoned' : 'missed'}`);
      // PROPERTY_DEBUG=1: what the caller lived and what the record holds, to read a counterexample by.
      if (process.env.PROPERTY_DEBUG) console.log(JSON.stringify({ transcript: t, call, events: await h.container.db.query('SELECT * FROM call_events WHERE call_sid = $1', [t.callSid]) }, null, 1));
    }
  }
  return out;
}

/** No agent rings or talks on two calls at once (the model answers busy and notes it). */
export function oneCallPerPhone(h: Hotline, before: number): string[] {
  return h.twilio.model.doubleRung.slice(before).map((p) => `${p} rung while on another call`);
}

/** Nobody is rung once paused (a second's grace for a ring already on its way). */
export function notRungWhilePaused({ world, pausedAt }: Context): string[] {
  const out: string[] = [];
  for (const c of world.callers.filter(done)) {
    for (const d of c.transcript.dials) {
      const at = world.agents.find((a) => a.phone === d.endpoint) && pausedAt.get(d.endpoint);
      if (at && ms(d.at) > ms(at) + 1000) out.push(`${d.endpoint} rung for ${c.transcript.callSid} ${s(at, d.at)} s after being paused`);
    }
  }
  return out;
}

/** The line spans in which `c` waits at `at` and still waits STILL_WAITING_SECONDS later. */
function waitingAt(c: Caller & { transcript: NonNullable<Caller['transcript']> }, at: Date): boolean {
  return c.transcript.lineSpans.some((l) => ms(l.from) < ms(at) && ms(l.to) > ms(at) + STILL_WAITING_SECONDS * 1000);
}

function triedBefore(c: Caller & { transcript: NonNullable<Caller['transcript']> }, phone: string, at: Date): boolean {
  return c.transcript.dials.some((d) => d.endpoint === phone && ms(d.at) <= ms(at));
}

/**
 * First come, first served within a line: when an agent is rung for a caller, no caller who
 * arrived earlier, could take that agent (the agent is in their number's group and has not rung
 * for them yet: the documented exception) and was waiting in the line then, goes on waiting.
 */
export function firstComeFirstServed({ world, pausedAt }: Context): string[] {
  const out: string[] = [];
  const callers = world.callers.filter(done);
  for (const b of callers) {
    for (const d of b.transcript.dials) {
      if (inOutage(world.windows, d.at, d.at)) continue;
      const agent = world.agents.find((a) => a.phone === d.endpoint);
      if (!agent || (pausedAt.get(agent.phone) && ms(pausedAt.get(agent.phone)!) <= ms(d.at))) continue;
      for (const a of callers) {
        if (a === b || ms(a.transcript.arrivedAt) >= ms(b.transcript.arrivedAt)) continue;
        if (!agent.numbers.includes(a.number) || triedBefore(a, agent.phone, d.at) || !waitingAt(a, d.at)) continue;
        out.push(`${agent.phone} rung for ${b.script.to} caller ${b.transcript.callSid} (arrived +${s(world.startedAt, b.transcript.arrivedAt)} s) at +${s(world.startedAt, d.at)} s while ${a.script.to} caller ${a.transcript.callSid} (arrived +${s(world.startedAt, a.transcript.arrivedAt)} s) waited in line`);
        break;
      }
    }
  }
  return out;
}

/**
 * No caller waits past the maximum wait: no agent is dialled for them after it, and the hotline
 * turns them away within a sweep (plus the speech of one prompt) of it.
 */
export function maxWait({ h, world }: Context): string[] {
  const out: string[] = [];
  const max = h.config.MAX_CALLER_WAIT_SECONDS;
  const slack = h.config.WAITING_LINE_SWEEP_SECONDS + 3;
  for (const c of world.callers.filter(done)) {
    const t = c.transcript;
    const limit = new Date(ms(t.arrivedAt) + max * 1000);
    if (inOutage(world.windows, t.arrivedAt, t.hungUpAt ?? limit)) continue;
    for (const d of t.dials) if (ms(d.at) > ms(limit) + 1000) out.push(`${t.callSid}: ${d.endpoint} dialled ${s(t.arrivedAt, d.at)} s after arrival (max ${max} s)`);
    for (const l of t.lineSpans) if (ms(l.to) > ms(limit) + slack * 1000) out.push(`${t.callSid}: still in the line ${s(t.arrivedAt, l.to)} s after arrival (max ${max} s)`);
  }
  return out;
}

/** Spans in which `phone` had no leg up, within [from, to]. */
function idleSpans(h: Hotline, phone: string, from: Date, to: Date): { from: number; to: number }[] {
  const busy = h.twilio.model.legLog.filter((l) => l.endpoint === phone && ms(l.to) > ms(from) && ms(l.from) < ms(to)).sort((x, y) => ms(x.from) - ms(y.from));
  const spans: { from: number; to: number }[] = [];
  let cursor = ms(from);
  for (const b of busy) {
    if (ms(b.from) > cursor) spans.push({ from: cursor, to: ms(b.from) });
    cursor = Math.max(cursor, ms(b.to));
  }
  if (ms(to) > cursor) spans.push({ from: cursor, to: ms(to) });
  return spans;
}

/**
 * A caller in the line is never left waiting while an agent of their number's group who has not
 * rung for them yet sits idle (not paused, no leg up) for longer than a sweep and a ring's setup:
 * whatever another number's line looks like.
 */
export function noIdleAgentWhileACallerWaits({ h, world, pausedAt }: Context): string[] {
  const out: string[] = [];
  const patience = (h.config.WAITING_LINE_SWEEP_SECONDS + 5) * 1000;
  for (const c of world.callers.filter(done)) {
    for (const l of c.transcript.lineSpans) {
      if (inOutage(world.windows, l.from, l.to)) continue;
      for (const agent of world.agents) {
        if (!agent.numbers.includes(c.number) || triedBefore(c, agent.phone, l.to)) continue;
        const paused = pausedAt.get(agent.phone);
        const to = paused && ms(paused) < ms(l.to) ? paused : l.to;
        const idle = idleSpans(h, agent.phone, l.from, to).find((x) => x.to - x.from > patience);
        if (idle) {
          out.push(`${c.script.to} caller ${c.transcript.callSid} waited in line from +${s(world.startedAt, new Date(idle.from))} s to +${s(world.startedAt, new Date(idle.to))} s while ${agent.phone} of its group was idle`);
          break;
        }
      }
    }
  }
  return out;
}

/**
 * Every missed call, and every abandoned one past the misdial threshold, is in exactly one
 * callback; a callback holds at least one such call (a misdial or an answered call alone owes none).
 */
export async function callbackForEveryMiss({ h, world }: Context): Promise<string[]> {
  const out: string[] = [];
  const owes = new Map<string, boolean>();
  for (const c of world.callers.filter(done)) {
    const call = await h.container.calls.getCallBySid(c.transcript.callSid);
    if (!call?.outcome) continue;
    const owed = call.outcome === 'missed' || (call.outcome === 'abandoned' && Number(call.waitSeconds) >= h.config.MIN_ABANDON_SECONDS);
    owes.set(call.id, owed);
    if (!owed) continue;
    const rows = await h.container.db.query<{ n: number }>('SELECT COUNT(*)::int AS n FROM callback_calls WHERE call_id = $1', [call.id]);
    if (Number(rows[0]!.n) !== 1) out.push(`${call.callSid}: ${call.outcome} (${call.missedReason ?? '-'}) in ${rows[0]!.n} callbacks`);
  }
  const held = await h.container.db.query<{ callback_id: string; call_ids: string[] }>(
    'SELECT callback_id, array_agg(call_id::text) AS call_ids FROM callback_calls WHERE call_id = ANY($1::uuid[]) GROUP BY callback_id',
    [[...owes.keys()]],
  );
  for (const cb of held) if (!cb.call_ids.some((id) => owes.get(id))) out.push(`callback ${cb.callback_id} holds only calls that owe none (answered, or abandoned under ${h.config.MIN_ABANDON_SECONDS} s)`);
  return out;
}

/**
 * Every callback that lapsed is fined exactly once, on the ladder (20, 50, 100, then 100), and
 * nothing else is fined. Whether a callback lapsed is judged from the world: a day callback with
 * an owner whose caller was not put through (by a later call of theirs) by its deadline.
 */
export async function everyLapseFinedOnTheLadder({ h, world }: Context): Promise<string[]> {
  const out: string[] = [];
  const ladder = h.config.FINE_SCHEDULE;
  const phones = [...new Set(world.callers.map((c) => c.script.from))];
  const callbacks = await h.container.db.query<{ id: string; phone: string; due_at: Date; deadline_window: string; owner_agent_id: string | null; call_sids: string[] }>(
    `SELECT id, phone, due_at, deadline_window, owner_agent_id,
            ARRAY(SELECT k.call_sid FROM callback_calls cc JOIN calls k ON k.id = cc.call_id WHERE cc.callback_id = c.id) AS call_sids
       FROM callbacks c WHERE phone = ANY($1)`,
    [phones],
  );
  const fines = await h.container.db.query<{ callback_id: string; agent_id: string; ordinal: number; amount: number; lapsed_at: Date; period: string }>(
    'SELECT callback_id, agent_id, ordinal, amount, lapsed_at, period FROM fines WHERE callback_id = ANY($1)',
    [callbacks.map((c) => c.id)],
  );
  const now = h.clock.now();
  for (const cb of callbacks) {
    const finedTimes = fines.filter((f) => f.callback_id === cb.id).length;
    // The caller got through (a later call answered, ended after the miss that opened the
    // callback) by the deadline: returned in time. Within 2 s of either end: not judged.
    const missedEnds = world.callers.filter(done).filter((c) => cb.call_sids.includes(c.transcript.callSid) && c.transcript.hungUpAt).map((c) => ms(c.transcript.hungUpAt!));
    const opened = missedEnds.length > 0 ? Math.min(...missedEnds) : -Infinity;
    const through = world.callers.filter(done).filter((c) => c.script.from === cb.phone && c.transcript.bridgedTo && c.transcript.hungUpAt && ms(c.transcript.hungUpAt) > opened - 2000);
    if (through.some((c) => Math.abs(ms(c.transcript.hungUpAt!) - ms(cb.due_at)) < 2000 || Math.abs(ms(c.transcript.hungUpAt!) - opened) < 2000)) continue;
    const returned = through.some((c) => ms(c.transcript.hungUpAt!) < ms(cb.due_at));
    const lapsed = !returned && ms(cb.due_at) + h.config.SCHEDULER_INTERVAL_SECONDS * 1000 < ms(now);
    const finable = lapsed && cb.deadline_window === 'day' && cb.owner_agent_id !== null;
    if (finable && finedTimes !== 1) out.push(`callback ${cb.id} lapsed at ${cb.due_at.toISOString()}: fined ${finedTimes} times`);
    if (!finable && finedTimes > 0) out.push(`callback ${cb.id} (${cb.deadline_window}, ${returned ? 'returned in time' : 'not yet due'}) fined ${finedTimes} times`);
  }
  // The ladder, per agent and period, in the order of the lapses.
  const byAgent = new Map<string, typeof fines>();
  for (const f of fines) byAgent.set(`${f.agent_id} ${f.period}`, [...(byAgent.get(`${f.agent_id} ${f.period}`) ?? []), f]);
  for (const [key, list] of byAgent) {
    const inOrder = [...list].sort((a, b) => ms(a.lapsed_at) - ms(b.lapsed_at) || a.ordinal - b.ordinal);
    const got = inOrder.map((f) => `${f.ordinal}:${f.amount}`).join(' ');
    const want = inOrder.map((_, i) => `${i + 1}:${ladder[Math.min(i, ladder.length - 1)]}`).join(' ');
    if (got !== want) out.push(`agent ${key}: fines ${got}, the ladder says ${want}`);
  }
  return out;
}

/** At the end nobody holds an agent's claim, on any instance's coordinator. */
export async function claimsReleased({ h, world }: Context): Promise<string[]> {
  const out: string[] = [];
  for (const [i, x] of h.instances.entries()) {
    for (const a of world.agents) {
      const holder = await x.container.coordinator.holderOf(a.id);
      if (holder) out.push(`${a.phone} still claimed by ${holder} (instance ${i})`);
    }
  }
  return out;
}

/** At the end nobody of this world is in the waiting line. */
export async function lineEmpty({ h, world }: Context): Promise<string[]> {
  const sids = world.callers.filter(done).map((c) => c.transcript.callSid);
  const ids = (await h.container.db.query<{ id: string; call_sid: string }>('SELECT id, call_sid FROM calls WHERE call_sid = ANY($1)', [sids])).map((r) => r.id);
  const out: string[] = [];
  for (const [i, x] of h.instances.entries()) {
    const coordinator = x.container.coordinator;
    const lines = await coordinator.waitingLines();
    const members = (await Promise.all(lines.map((line) => coordinator.lineMembers(line, 10_000)))).flat().map((m) => m.callId);
    for (const id of members.filter((m) => ids.includes(m) || sids.includes(m))) out.push(`${id} still in the line (instance ${i})`);
  }
  return out;
}

/** At the end every instance's spool is empty: everything it kept is written. */
export function spoolDrained(h: Hotline): string[] {
  return h.instances.flatMap((x, i) => (x.container.spool && x.container.spool.depth() > 0 ? [`instance ${i}: ${x.container.spool.depth()} events left in the spool`] : []));
}
