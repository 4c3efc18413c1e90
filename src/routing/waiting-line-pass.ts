import { linePlaceOrder } from '../domain/coordination';
import type { Agent, Call, CallStore, LinePlace, RingAttempt } from '../domain/ports';
import type { AgentOffers } from './agent-offers';
import type { CallDocuments } from './call-documents';
import type { CallerMoves } from './caller-moves';
import type { WaitingLine } from './waiting-line';

/**
 * How many callers of a line one read brings: a few first (most passes stop at a line's first
 * caller, every agent of its group taken), then more at a time while there are agents to offer.
 */
const FIRST_PAGE = 10;
const LINE_PAGE = 50;

export interface WaitingLinePassDeps {
  calls: CallStore;
  line: WaitingLine;
  offers: AgentOffers;
  docs: CallDocuments;
  moves: CallerMoves;
  now(): Date;
  /** An offered agent who will not be rung for this call after all (released, and offered on). */
  letGo(attempt: RingAttempt, outcome: 'withdrawn', now: Date): Promise<void>;
  /** Ends a caller's wait as abandoned (their hang-up was lost). */
  abandon(call: Call, at: Date): Promise<void>;
}

/** What a pass did: the offer for the request's own caller, and the moves of the others (under way). */
export interface PassResult {
  mine: RingAttempt | null;
  moving: Promise<void>[];
}

/** One line's reading position during a pass. */
interface LineCursor {
  name: string;
  page: LinePlace[];
  /** The next place of `page` to look at. */
  next: number;
  /** The last place read, from which the next page starts. */
  after?: LinePlace;
  /** The line has no more callers after `page`. */
  end: boolean;
  /** Every agent this line's callers could take is known taken: nobody further on is looked at. */
  done: boolean;
  calls: Map<string, Call>;
  attempts: Map<string, RingAttempt[]>;
}

/**
 * One pass over the waiting lines (one per hotline number): free agents are offered to the
 * longest-waiting caller who can take them, across the lines of the groups each agent is in,
 * and each caller who got one is moved by a REST redirect (CallerMoves, off the request path);
 * callers with nothing left to wait for, their wait run out, are moved on to the end of it.
 *
 * The lines are read together in arrival order, a page at a time. Its cost does not grow with a
 * line: every agent the coordinator has said is taken (ringing, talking, or just offered to a
 * caller ahead) is remembered for the pass, and once every agent of a line's group is known
 * taken, nobody further in that line is looked at. The callers whose wait has run out are the
 * front of their line (it is ordered by arrival, and every caller may wait as long), so they are
 * reached first, at any length of line.
 */
export class WaitingLinePass {
  constructor(private readonly d: WaitingLinePassDeps) {}

  /**
   * `self` is the call of the request running this, which is not redirected: its offered attempt
   * is returned for that request to dial. `freed`: the agent whose release runs this pass.
   */
  async run(now: Date, self?: string, freed?: string): Promise<PassResult> {
    const result: PassResult = { mine: null, moving: [] };
    let names = await this.d.line.lines();
    if (names.length === 0) return result;
    const groups = new Map<string, Agent[]>();
    if (freed !== undefined) {
      // One agent was freed: only the lines of the groups they are in can take them (the sweep
      // looks at every line, for agents freed silently). A line is named by its number.
      const inLines = await Promise.all(names.map(async (name) => {
        const group = await this.d.offers.group({ id: '', to: name }, now);
        groups.set(name, group);
        return group.some((a) => a.id === freed);
      }));
      names = names.filter((_, i) => inLines[i]);
    }
    const busy = new Set<string>();
    const cursors: LineCursor[] = names.map((name) => ({ name, page: [], next: 0, end: false, done: false, calls: new Map(), attempts: new Map() }));
    for (;;) {
      await Promise.all(cursors.filter((c) => !c.done && !c.end && c.next >= c.page.length).map((c) => this.readPage(c)));
      const heads = cursors.filter((c) => !c.done && c.next < c.page.length);
      if (heads.length === 0) return result;
      const cursor = heads.reduce((a, b) => (linePlaceOrder(a.page[a.next]!, b.page[b.next]!) <= 0 ? a : b));
      const place = cursor.page[cursor.next++]!;
      const call = cursor.calls.get(place.callId);
      if (!call || call.state !== 'hunting') {
        await this.d.line.leave(place.callId, now);
        continue;
      }
      let group = groups.get(cursor.name);
      if (!group) groups.set(cursor.name, (group = await this.d.offers.group(call, now)));
      const waitOver = await this.offer(call, cursor, group, busy, now, self, result);
      // Past the callers whose wait is over, a line whose agents are all taken has nothing more.
      if (!waitOver && group.every((a) => busy.has(a.id))) cursor.done = true;
    }
  }

  private async readPage(c: LineCursor): Promise<void> {
    const size = c.after ? LINE_PAGE : FIRST_PAGE;
    c.page = await this.d.line.members(c.name, size, c.after);
    c.next = 0;
    c.end = c.page.length < size;
    c.after = c.page[c.page.length - 1] ?? c.after;
    const ids = c.page.map((m) => m.callId);
    if (ids.length === 0) return;
    [c.calls, c.attempts] = await Promise.all([this.d.calls.callsByIds(ids), this.d.calls.attemptsOfCalls(ids)]);
  }

  /** The caller's turn: an agent for them, or the end of their wait, or nothing yet. True when their wait has run out. */
  private async offer(call: Call, cursor: LineCursor, group: Agent[], busy: Set<string>, now: Date, self: string | undefined, result: PassResult): Promise<boolean> {
    let attempts = cursor.attempts.get(call.id) ?? [];
    // The wait's end is looked at before the agents: every caller whose wait ran out is reached.
    const expired = !this.d.docs.canRing(call, now);
    const open = attempts.find((a) => !a.finishedAt);
    if (open) {
      // Being moved to an agent already, unless that offer lost its agent's claim (AgentOffers.lost).
      if (expired || !(await this.d.offers.lost(open, now))) return expired;
      await this.d.letGo(open, 'withdrawn', now);
      attempts = attempts.map((a) => (a.id === open.id ? { ...a, finishedAt: now, outcome: 'withdrawn' } : a));
    }
    const untried = expired ? [] : await this.d.offers.untried(attempts, call, now);
    if (expired || untried.length === 0) {
      // Nothing left to wait for: /voice/hold ends the wait (missed, with the callback offer).
      if (call.id !== self && (await this.d.line.leave(call.id, now))) result.moving.push(this.move(call, null));
      return expired;
    }
    if (group.every((a) => busy.has(a.id)) || untried.every((a) => busy.has(a.id))) return false;
    const offered = await this.d.offers.offerNext(call, attempts, now, busy);
    if (!offered) return false;
    // Not taken: another instance, or the caller's own request, moved them.
    const left = await this.d.line.leave(call.id, now).catch(async (err: unknown) => {
      // Nobody will move the caller to this offer: its agent is given back at once (if the
      // database lets us), not when the ring's time is up.
      await this.d.letGo(offered, 'withdrawn', now).catch(() => undefined);
      throw err;
    });
    if (!left) return false;
    if (call.id === self) result.mine = offered;
    else result.moving.push(this.move(call, offered));
    return false;
  }

  /** Sends a waiting caller to /voice/hold, which rings the agent offered to them (or ends their wait). */
  private move(call: Call, offered: RingAttempt | null): Promise<void> {
    return this.d.moves.send(call.callSid, this.d.docs.webhookUrl('hold', { call: call.id }), (err) => this.moveFailed(call, offered, err));
  }

  private async moveFailed(call: Call, offered: RingAttempt | null, err: unknown): Promise<void> {
    const now = this.d.now();
    if (offered) await this.d.letGo(offered, 'withdrawn', now);
    const fresh = await this.d.calls.getCall(call.id);
    if (fresh?.state !== 'hunting') return;
    // Twilio no longer knows the call: the caller hung up and their status callback was lost.
    // Their wait is over; anything else (Twilio unreachable) keeps their place, and the hold
    // document asks again when its music ends.
    if ((err as { status?: number }).status === 404) {
      const { caller } = await this.d.calls.terminalEventsOf(fresh.id);
      await this.d.abandon(fresh, caller?.at ?? now);
      return;
    }
    await this.d.line.join(fresh, now);
  }
}
