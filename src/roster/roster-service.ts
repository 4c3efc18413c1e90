import type { AttemptOutcome } from '../domain/call-states';
import type { Clock } from '../domain/clock';
import { maskPhone } from '../domain/endpoint';
import type { Agent, AgentStore, Call, CallStore, Candidates, PausedReason, RingAttempt, RosterPort, SkippedAgent } from '../domain/ports';
import { dutyAt, hasDayOffAt, holidayAt, isMissedOffer, leavesAt, nextDutyChange, type DutyRules } from '../domain/shifts';
import type { Logger } from '../logger';
import type { PostgresAuditStore } from '../postgres/audit-store';
import type { Db } from '../postgres/db';
import type { PostgresRosterStore } from '../postgres/roster-store';
import { NoSmsEndpointError, type Notifier } from '../notify/notifier';
import { rosterTexts, type RosterTexts } from './roster-texts';

const DAY_MS = 24 * 3600_000;
/** How far ahead a roster read looks for the next change of duty (see RosterPort.candidates' validUntil). */
const DUTY_LOOKAHEAD_MS = 10 * 60_000;

export interface RosterServiceDeps {
  db: Db;
  store: PostgresRosterStore;
  agents: AgentStore;
  calls: CallStore;
  audit: PostgresAuditStore;
  /** The agent's texts go through it: SMS, or the agent's WeCom or DingTalk channel. */
  notifier: Notifier;
  clock: Clock;
  logger: Logger;
  rules: DutyRules;
  autoPauseAfter: number;
  autoPauseResumeMinutes: number | undefined;
  language: 'zh-CN' | 'en-US';
}

/**
 * The roster seen from the call flow (who a call may ring now, and why others are passed over),
 * and the changes the roster makes on its own: the auto-pause after missed offers, agents' own
 * pause and resume by SMS, and handing an absent agent's callbacks to their substitute.
 */
export class RosterService implements RosterPort {
  readonly texts: RosterTexts;

  constructor(private readonly d: RosterServiceDeps) {
    this.texts = rosterTexts(d.language);
  }

  async candidates(call: Pick<Call, 'id' | 'to'>, at: Date): Promise<Candidates> {
    const [active, hotline] = await Promise.all([this.d.agents.list(), this.d.store.hotlineByNumber(call.to)]);
    const ids = active.map((a) => a.id);
    // Read a little ahead, to know until when this answer holds (the next shift or leave boundary).
    const ahead = new Date(at.getTime() + DUTY_LOOKAHEAD_MS);
    const [plans, leaves] = await Promise.all([
      this.d.store.plans(ids, new Date(at.getTime() - 2 * DAY_MS), ahead),
      this.d.store.leavesOverlapping(at, ahead),
    ]);
    const duty = dutyAt(plans, leaves, at, this.d.rules);
    let validUntil = nextDutyChange(plans, leaves, at, ahead, this.d.rules);
    // A number without a record is answered by everyone; a group also takes in the substitutes of
    // its members absent now (not of a leave read ahead that has not begun).
    let group: Set<string> | null = null;
    if (hotline) {
      group = new Set(hotline.agentIds);
      for (const l of leavesAt(leaves, at)) if (group.has(l.agentId)) group.add(l.substituteAgentId);
    }
    // On a holiday the hotline's standby agents are on duty all day (weekly patterns are off; a
    // leave or a dated day off still keeps one away), members of its group or not.
    const today = hotline && hotline.standbyAgentIds.length > 0 ? holidayAt(at, this.d.rules) : null;
    const standby = new Set(today?.holiday ? hotline!.standbyAgentIds : []);
    for (const id of standby) group!.add(id);
    if (today && today.dayEnds < validUntil) validUntil = today.dayEnds;
    const agents: Agent[] = [];
    const skipped: SkippedAgent[] = [];
    for (const a of active) {
      if (group && !group.has(a.id)) continue;
      const s = duty.get(a.id);
      const standing = standby.has(a.id) && s?.onDuty === false && s.reason === 'off-duty' && !hasDayOffAt(plans.find((p) => p.agentId === a.id), at);
      if (s && !s.onDuty && !standing) skipped.push({ agentId: a.id, reason: s.reason });
      else if (a.paused) skipped.push({ agentId: a.id, reason: 'paused' });
      else agents.push(a);
    }
    return { agents, skipped, validUntil };
  }

  noteSkipped(callId: string, skipped: readonly SkippedAgent[], at: Date): Promise<void> {
    return this.d.store.noteSkipped(callId, skipped, at);
  }

  /** The agent's state now, for the admin API: on duty, on leave, covering for whom. */
  async describe(agent: Agent, at: Date = this.d.clock.now()) {
    const active = await this.d.agents.list();
    const ids = [...new Set([...active.map((a) => a.id), agent.id])];
    const [plans, leaves] = await Promise.all([
      this.d.store.plans(ids, new Date(at.getTime() - 2 * DAY_MS), new Date(at.getTime() + 1)),
      this.d.store.leavesOverlapping(at, new Date(at.getTime() + 1)),
    ]);
    const s = dutyAt(plans, leaves, at, this.d.rules).get(agent.id);
    const onLeave = leaves.find((l) => l.agentId === agent.id) ?? null;
    // On a holiday a hotline's standby agent is on duty all day, as candidates() rings them.
    const standing =
      s?.onDuty === false &&
      s.reason === 'off-duty' &&
      !hasDayOffAt(plans.find((p) => p.agentId === agent.id), at) &&
      holidayAt(at, this.d.rules)?.holiday === true &&
      (await this.d.store.listHotlines()).some((h) => h.standbyAgentIds.includes(agent.id));
    return {
      onDuty: agent.active && !agent.paused && (!!s?.onDuty || standing),
      onLeave: onLeave !== null,
      leaveId: onLeave?.id ?? null,
      coveringFor: leaves.filter((l) => l.substituteAgentId === agent.id).map((l) => l.agentId),
    };
  }

  async offerEnded(attempt: RingAttempt, outcome: AttemptOutcome, at: Date): Promise<void> {
    if (outcome === 'accepted') return this.d.store.resetMissedOffers(attempt.agentId);
    if (!isMissedOffer(outcome)) return;
    const streak = await this.d.store.countMissedOffer(attempt.agentId);
    if (streak < this.d.autoPauseAfter) return;
    const changed = await this.setPaused(attempt.agentId, true, 'auto-pause', 'auto-pause', at, { missedOffers: streak });
    if (!changed) return;
    const call = await this.d.calls.getCall(attempt.callId);
    await this.text(changed, 'auto-pause', (t) => t.autoPaused(streak), call?.to);
  }

  /**
   * Pauses or resumes an agent and audits it (who, before, after); returns the agent when
   * something changed.
   */
  async setPaused(agentId: string, paused: boolean, reason: PausedReason, actor: string, at: Date, detail: Record<string, unknown> = {}): Promise<Agent | null> {
    const before = await this.d.agents.get(agentId);
    if (!before || !(await this.d.store.setPaused(agentId, paused, reason, at))) return null;
    await this.d.audit.record({
      actor,
      action: paused ? 'roster.pause' : 'roster.resume',
      target: `agent:${agentId}`,
      detail: { before: { paused: before.paused, pausedReason: before.pausedReason }, after: { paused, pausedReason: paused ? reason : null }, ...detail },
      at,
    });
    this.d.logger.info(paused ? 'agent paused' : 'agent resumed', { agentId, reason, actor });
    return this.d.agents.get(agentId);
  }

  /**
   * A notice to an agent through their channel (SMS by default), in both languages; an agent with
   * no way to be reached (a SIP endpoint on SMS) is skipped, and a failed send is logged, not thrown.
   */
  async text(agent: Agent, kind: string, say: (t: RosterTexts) => string, from?: string): Promise<void> {
    try {
      // Without SMS_FROM a text goes out from a hotline number: the call's, else the first on record.
      const sender = from ?? (await this.d.store.listHotlines())[0]?.number;
      await this.d.notifier.toAgent(agent, kind, { zh: say(rosterTexts('zh-CN')), en: say(rosterTexts('en-US')) }, { from: sender, pageLink: true });
    } catch (err) {
      if (err instanceof NoSmsEndpointError) return;
      this.d.logger.warn('roster notice failed', { to: maskPhone(agent.phone), err });
    }
  }

  /** Brings back agents the auto-pause took off more than AUTO_PAUSE_RESUME_MINUTES ago. */
  async resumeAutoPaused(now: Date): Promise<number> {
    if (!this.d.autoPauseResumeMinutes) return 0;
    let n = 0;
    for (const id of await this.d.store.autoPausedBefore(new Date(now.getTime() - this.d.autoPauseResumeMinutes * 60_000))) {
      const agent = await this.setPaused(id, false, 'auto-pause', 'auto-pause', now);
      if (agent) {
        n++;
        await this.text(agent, 'auto-resume', (t) => t.autoResumed);
      }
    }
    return n;
  }

  /** Hands the open callbacks of agents whose leave has begun to their substitutes, who are texted. */
  async moveCallbacksOfBegunLeaves(now: Date): Promise<void> {
    for (const leave of await this.d.store.takeBegunLeaves(now)) {
      const rows = await this.d.db.query<{ id: string; hotline_number: string }>(
        `UPDATE callbacks SET owner_agent_id = $2, updated_at = $3 WHERE owner_agent_id = $1 AND status IN ('open', 'attempted') RETURNING id, hotline_number`,
        [leave.agentId, leave.substituteAgentId, now],
      );
      if (rows.length === 0) continue;
      await this.d.audit.record({
        actor: 'roster',
        action: 'roster.callbacks-moved',
        target: `leave:${leave.id}`,
        detail: { before: { ownerAgentId: leave.agentId }, after: { ownerAgentId: leave.substituteAgentId }, callbackIds: rows.map((r) => r.id) },
        at: now,
      });
      const [absent, substitute] = await Promise.all([this.d.agents.get(leave.agentId), this.d.agents.get(leave.substituteAgentId)]);
      if (substitute) await this.text(substitute, 'callbacks-moved', (t) => t.callbacksMoved(absent?.name ?? '', rows.length), rows[0]!.hotline_number);
    }
  }
}
