import type { CallbackFeature } from '../callbacks/callback-feature';
import { maskPhone } from '../domain/endpoint';
import type { AgentStore, CallStore } from '../domain/ports';
import { composeShiftDigest, shiftStarts } from '../domain/shift-digest';
import { rosterTimeline, type DutyRules } from '../domain/shifts';
import type { Logger } from '../logger';
import type { PostgresAgentPageStore } from '../postgres/agent-page-store';
import type { PostgresRosterStore } from '../postgres/roster-store';
import { unfinishedNotes } from './agent-page-data';
import { NoSmsEndpointError, type AgentMessageSender } from './agent-message';

/**
 * A shift start this long ago still gets its digest (an instance restarting, a pass that failed);
 * one further back is history.
 */
export const DIGEST_LOOKBACK_MS = 30 * 60_000;
/** How far ahead the roster is read to tell when the shift ends. */
const SHIFT_AHEAD_MS = 24 * 3600_000;
const DAY_MS = 24 * 3600_000;

export interface ShiftDigestDeps {
  agents: AgentStore;
  calls: CallStore;
  rosterStore: PostgresRosterStore;
  prefs: PostgresAgentPageStore;
  callbacks(): CallbackFeature | undefined;
  rules: DutyRules;
  logger: Logger;
  send: AgentMessageSender;
  /** The agent's signed page link, fresh for each digest. */
  pageLink(agentId: string): string;
}

/**
 * The digest at the start of each shift: every agent whose duty begins (by the roster, leave and
 * substitution applied) gets one, once per shift start. Each is claimed in the database before it
 * is sent, so two instances running this at once send it once; a failed send gives the claim back
 * and the next pass tries again.
 */
export class ShiftDigests {
  constructor(private readonly d: ShiftDigestDeps) {}

  /** One pass: the digests of the shifts that started in the last DIGEST_LOOKBACK_MS; returns how many went out. */
  async runDue(now: Date): Promise<number> {
    const since = new Date(now.getTime() - DIGEST_LOOKBACK_MS);
    const agents = await this.d.agents.list();
    if (agents.length === 0) return 0;
    // The timeline starts a minute before `since`, so a start at `since` has an interval before it.
    const from = new Date(since.getTime() - 60_000);
    const ahead = new Date(now.getTime() + SHIFT_AHEAD_MS);
    const [plans, leaves] = await Promise.all([
      this.d.rosterStore.plans(
        agents.map((a) => a.id),
        new Date(from.getTime() - 2 * DAY_MS),
        ahead,
      ),
      this.d.rosterStore.leavesOverlapping(from, ahead),
    ]);
    const starts = shiftStarts(rosterTimeline(plans, leaves, from, ahead, this.d.rules), since, now);
    const names = new Map(agents.map((a) => [a.id, a.name]));
    let sent = 0;
    for (const s of starts) {
      const agent = agents.find((a) => a.id === s.agentId);
      if (!agent || !(await this.d.prefs.claimDigest(agent.id, s.start, now))) continue;
      try {
        const feature = this.d.callbacks();
        const ids = feature ? await this.d.prefs.openCallbackIds(agent.id) : [];
        const callbacks = feature ? (await Promise.all(ids.map((id) => feature.callbacks.get(id)))).filter((c) => c !== null) : [];
        const text = composeShiftDigest({
          agentName: agent.name,
          shiftStart: s.start,
          shiftEnd: s.end,
          timeZone: this.d.rules.timeZone,
          now,
          callbacks: callbacks.map((c) => ({ maskedPhone: maskPhone(c.phone), dueAt: c.dueAt })),
          unfinishedNotes: (await unfinishedNotes(this.d, agent.id, now, 1000)).length,
          colleagues: s.colleagueIds.map((id) => names.get(id) ?? id),
          paused: agent.paused,
        });
        await this.d.send(agent.id, 'shift-digest', text, this.d.pageLink(agent.id));
        await this.d.prefs.digestSent(agent.id, s.start, now);
        sent++;
      } catch (err) {
        if (err instanceof NoSmsEndpointError) {
          // Trying again will not help: settled as skipped, and the next shift tries anew.
          await this.d.prefs.digestSent(agent.id, s.start, now, 'no-endpoint');
          this.d.logger.warn('shift digest has no way to reach the agent', { agentId: agent.id });
          continue;
        }
        await this.d.prefs.releaseDigest(agent.id, s.start);
        this.d.logger.warn('shift digest failed; the next pass tries again', { agentId: agent.id, err });
      }
    }
    return sent;
  }
}
