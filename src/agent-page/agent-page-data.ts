import { DateTime } from 'luxon';
import { NOTES_LINK_PURPOSE } from '../after-call/notes-link';
import type { CallbackFeature } from '../callbacks/callback-feature';
import type { Agent, AgentStore, CallStore } from '../domain/ports';
import { dutyAt, type DutyRules } from '../domain/shifts';
import { signLink } from '../domain/signed-link';
import { ticketIsLate } from '../domain/tickets';
import type { PostgresAgentPageStore } from '../postgres/agent-page-store';
import type { PostgresTicketStore } from '../postgres/ticket-store';
import type { PostgresRosterStore } from '../postgres/roster-store';
import type { RosterService } from '../roster/roster-service';
import type { AgentPageView } from './agent-page-view';

/** How far back the page and the digest look for calls still to write up. */
export const NOTES_WINDOW_DAYS = 30;
const NOTES_SHOWN = 50;
const LEAVES_AHEAD_DAYS = 366;

/** One agent's row of the monthly evaluation (src/reports/monthly-report.ts), as far as the page shows it. */
export interface MonthFigures {
  offers: number;
  acceptRate: number | null;
  answered: number;
  averageRating: number | null;
  ratings: number;
  callbacksOnTime: number;
  callbacksLate: number;
  score: number | null;
  grade: string | null;
}

export interface AgentPageDataDeps {
  agents: AgentStore;
  calls: CallStore;
  roster: RosterService;
  rosterStore: PostgresRosterStore;
  prefs: PostgresAgentPageStore;
  callbacks(): CallbackFeature | undefined;
  /** The ticket store when the tickets feature runs (issue 26): the agent's open tickets. */
  tickets?(): PostgresTicketStore | undefined;
  /** Whether a ticket's call back can be placed from the page (tickets and callbacks both run). */
  canDialTickets?(): boolean;
  monthly(month: string): Promise<{ month: string; agents: ({ agentId: string } & MonthFigures)[] }>;
  secret: string;
  publicBaseUrl: string;
  notesTtlHours: number;
  timeZone: string;
  rules: DutyRules;
}

/** The calls the agent answered in the last days and has not typed yet (R5), newest first. */
export async function unfinishedNotes(d: Pick<AgentPageDataDeps, 'calls'>, agentId: string, now: Date, limit = NOTES_SHOWN) {
  return d.calls.listCalls({ agentId, outcome: 'answered', type: 'none', from: new Date(now.getTime() - NOTES_WINDOW_DAYS * 24 * 3600_000), to: now, limit });
}

/** Everything the page shows, read for the agent at `now`. */
export async function agentPageData(d: AgentPageDataDeps, agent: Agent, now: Date): Promise<Omit<AgentPageView, 'path' | 'notice' | 'error' | 'leaveForm'>> {
  const cbFeature = d.callbacks();
  const monthStart = DateTime.fromJSDate(now, { zone: d.timeZone }).startOf('month');
  const ticketStore = d.tickets?.();
  const [describe, all, callbackIds, calls, leaves, fines, report, tickets] = await Promise.all([
    // Whether it is the agent's shift, apart from any pause (the pause has its own line).
    d.roster.describe({ ...agent, paused: false }, now),
    d.agents.list(),
    cbFeature ? d.prefs.openCallbackIds(agent.id) : Promise.resolve([]),
    unfinishedNotes(d, agent.id, now),
    d.rosterStore.leavesOverlapping(now, new Date(now.getTime() + LEAVES_AHEAD_DAYS * 24 * 3600_000)),
    cbFeature ? cbFeature.fines.listLapsedBetween(monthStart.toJSDate(), monthStart.plus({ months: 1 }).toJSDate()) : Promise.resolve([]),
    d.monthly(monthStart.toFormat('yyyy-MM')),
    ticketStore ? ticketStore.ticketsForAgent(agent.id) : Promise.resolve([]),
  ]);
  const names = new Map(all.map((a) => [a.id, a.name]));
  // Who else takes calls now: on duty by the roster and not paused.
  const [plans, current] = await Promise.all([
    d.rosterStore.plans(
      all.map((a) => a.id),
      new Date(now.getTime() - 2 * 24 * 3600_000),
      new Date(now.getTime() + 1),
    ),
    d.rosterStore.leavesOverlapping(now, new Date(now.getTime() + 1)),
  ]);
  const duty = dutyAt(plans, current, now, d.rules);
  const onWith = all.filter((a) => a.id !== agent.id && !a.paused && duty.get(a.id)?.onDuty).map((a) => a.name);
  const callbacks = cbFeature ? (await Promise.all(callbackIds.map((id) => cbFeature.callbacks.get(id)))).filter((c) => c !== null) : [];
  const notesExpireAt = new Date(now.getTime() + d.notesTtlHours * 3600_000);
  const mine = report.agents.find((a) => a.agentId === agent.id);
  return {
    timeZone: d.timeZone,
    now,
    agent: { name: agent.name, paused: agent.paused, pausedReason: agent.pausedReason },
    duty: { onDuty: describe.onDuty && !agent.paused, onLeave: describe.onLeave, onShift: describe.onDuty, coveringFor: describe.coveringFor.map((id) => names.get(id) ?? id) },
    callbacks: callbacks
      .filter((c) => c.ownerAgentId === agent.id)
      .map((c) => ({ id: c.id, phone: c.phone, dueAt: c.dueAt, status: c.status, inFlight: c.status === 'attempted' })),
    notes: calls.map((c) => ({
      startedAt: c.startedAt,
      from: c.from,
      url: `/m/calls/${signLink(d.secret, { purpose: NOTES_LINK_PURPOSE, subject: c.id, agentId: agent.id, expiresAt: notesExpireAt })}`,
    })),
    leaves: leaves.filter((l) => l.agentId === agent.id).map((l) => ({ start: l.start, end: l.end, kind: l.kind, substitute: names.get(l.substituteAgentId) ?? l.substituteAgentId })),
    colleagues: all.filter((a) => a.id !== agent.id).map((a) => ({ id: a.id, name: a.name })),
    onWith,
    fines: fines.filter((f) => f.agentId === agent.id).map((f) => ({ amount: f.amount, lapsedAt: f.lapsedAt, waived: f.waivedAt !== null })),
    figures: mine ? { month: report.month, ...mine } : null,
    tickets: tickets.map((x) => ({ id: x.id, kind: x.kind, summary: x.summary, phone: x.phone, dueAt: x.dueAt, late: ticketIsLate(x, now), canDial: d.canDialTickets?.() === true && (x.kind === 'follow-up' || x.kind === 'return-visit') && x.phone !== null })),
  };
}
