import { DateTime } from 'luxon';
import { emptyCalendar, rosterWeekday, type WorkCalendar } from './work-calendar';

/**
 * Who is on duty when (R9: 7×24 service on shifts). An agent's own duty comes from a weekly
 * pattern read in the hotline's time zone (a slot whose end is not after its start crosses
 * midnight and belongs to the day it starts on), dated shifts on top ('on'), and dated days off
 * ('off', which win over everything). On a public holiday the weekly pattern does not start:
 * only dated shifts put anyone on duty, so holiday cover is always an explicit choice (the
 * hotline's standby agents are that choice made once, src/roster/). On a make-up workday (调休)
 * the weekly pattern of the weekday it stands for applies (src/domain/work-calendar.ts). An agent
 * with neither a pattern nor any dated shift is on duty at all times (rosters that predate
 * shifts keep working). During a leave the agent is off duty and the substitute is on duty
 * whenever the agent would have been, on top of their own time.
 */

export interface WeeklySlot {
  /** ISO weekday, 1 = Monday … 7 = Sunday. */
  day: number;
  start: string;
  end: string;
}

export interface DatedShift {
  start: Date;
  end: Date;
  kind: 'on' | 'off';
}

export interface DutyPlan {
  agentId: string;
  /** null: no weekly pattern. */
  weekly: WeeklySlot[] | null;
  /** Dated shifts around the instants asked about. */
  shifts: DatedShift[];
  /** Whether the agent has any dated shift at all (not only those loaded). */
  hasShifts: boolean;
}

export type LeaveKind = 'annual' | 'sick' | 'personal';

export interface LeaveSpan {
  id: string;
  agentId: string;
  substituteAgentId: string;
  start: Date;
  end: Date;
  kind: LeaveKind;
}

export interface DutyRules {
  timeZone: string;
  /** The HOLIDAYS setting's dates (also merged into `calendar` by the server). */
  holidays: readonly string[];
  /** Holidays and make-up workdays; absent: none. */
  calendar?: WorkCalendar;
}

export type DutyStatus =
  | { onDuty: true; coveringFor: string[] }
  | { onDuty: false; reason: 'off-duty' | 'on-leave'; leaveId?: string };

const HH_MM = /^([01]\d|2[0-3]):([0-5]\d)$/;

export function isHhMm(v: string): boolean {
  return HH_MM.test(v);
}

function minutesOf(hhmm: string): number {
  const m = HH_MM.exec(hhmm);
  if (!m) throw new Error(`'${hhmm}' is not HH:MM`);
  return Number(m[1]) * 60 + Number(m[2]);
}

const covers = (s: { start: Date; end: Date }, t: number) => s.start.getTime() <= t && t < s.end.getTime();

/** The weekly slots' occurrences starting on local dates [firstDay, lastDay], as absolute spans. */
function weeklySpans(weekly: readonly WeeklySlot[], firstDay: DateTime, lastDay: DateTime, rules: DutyRules): { start: Date; end: Date }[] {
  const spans: { start: Date; end: Date }[] = [];
  for (let day = firstDay.startOf('day'); day <= lastDay; day = day.plus({ days: 1 })) {
    const date = day.toISODate() ?? '';
    if (rules.holidays.includes(date)) continue;
    const weekday = rosterWeekday(rules.calendar ?? emptyCalendar, date, day.weekday);
    if (weekday === null) continue;
    for (const slot of weekly) {
      if (slot.day !== weekday) continue;
      const s = minutesOf(slot.start);
      const e = minutesOf(slot.end);
      // Wall-clock times: on a DST change day 22:00 is still 22:00, not 22 hours after midnight.
      const wall = (d: DateTime, m: number) => d.set({ hour: Math.floor(m / 60), minute: m % 60 });
      const start = wall(day, s);
      // An end at or before the start runs into the next day (20:00–08:00; 00:00–00:00 is 24 h).
      const end = e > s ? wall(day, e) : wall(day.plus({ days: 1 }), e);
      spans.push({ start: start.toJSDate(), end: end.toJSDate() });
    }
  }
  return spans;
}

function local(at: Date, timeZone: string): DateTime {
  const l = DateTime.fromJSDate(at, { zone: timeZone });
  if (!l.isValid) throw new Error(`unknown time zone '${timeZone}'`);
  return l;
}

/** The agent's own duty at `at`, leave aside. */
export function ownDuty(plan: DutyPlan, at: Date, rules: DutyRules): boolean {
  const t = at.getTime();
  if (plan.shifts.some((s) => s.kind === 'off' && covers(s, t))) return false;
  if (plan.shifts.some((s) => s.kind === 'on' && covers(s, t))) return true;
  if (plan.weekly === null) return !plan.hasShifts;
  const day = local(at, rules.timeZone);
  return weeklySpans(plan.weekly, day.minus({ days: 1 }), day, rules).some((s) => covers(s, t));
}

/** Whether a dated day off covers `at` (it wins over the standby duty of a holiday too). */
export function hasDayOffAt(plan: DutyPlan | undefined, at: Date): boolean {
  const t = at.getTime();
  return plan?.shifts.some((s) => s.kind === 'off' && covers(s, t)) ?? false;
}

/**
 * Whether `at` falls on a holiday, and when its local day ends (a standby group's duty starts
 * or ends there, whichever day it is).
 */
export function holidayAt(at: Date, rules: DutyRules): { holiday: boolean; dayEnds: Date } {
  const day = local(at, rules.timeZone).startOf('day');
  const date = day.toISODate() ?? '';
  const holiday = rules.holidays.includes(date) || (rules.calendar !== undefined && rosterWeekday(rules.calendar, date) === null);
  return { holiday, dayEnds: day.plus({ days: 1 }).toJSDate() };
}

/** The leaves in effect at `at` (begun, not over). */
export function leavesAt<L extends LeaveSpan>(leaves: readonly L[], at: Date): L[] {
  const t = at.getTime();
  return leaves.filter((l) => covers(l, t));
}

/** Every agent's duty at `at`, with leave and substitution applied. */
export function dutyAt(plans: readonly DutyPlan[], leaves: readonly LeaveSpan[], at: Date, rules: DutyRules): Map<string, DutyStatus> {
  const current = leavesAt(leaves, at);
  const own = new Map(plans.map((p) => [p.agentId, ownDuty(p, at, rules)]));
  const out = new Map<string, DutyStatus>();
  for (const p of plans) {
    const leave = current.find((l) => l.agentId === p.agentId);
    if (leave) {
      out.set(p.agentId, { onDuty: false, reason: 'on-leave', leaveId: leave.id });
      continue;
    }
    // The substitute takes the absent agent's shifts: on duty whenever the absent agent would be.
    const coveringFor = current.filter((l) => l.substituteAgentId === p.agentId && own.get(l.agentId)).map((l) => l.agentId);
    if (own.get(p.agentId) || coveringFor.length > 0) out.set(p.agentId, { onDuty: true, coveringFor });
    else out.set(p.agentId, { onDuty: false, reason: 'off-duty' });
  }
  return out;
}

/** Every instant in (from, to) at which someone's duty may change. */
function boundaries(plans: readonly DutyPlan[], leaves: readonly LeaveSpan[], from: Date, to: Date, rules: DutyRules): number[] {
  const f = from.getTime();
  const e = to.getTime();
  const set = new Set<number>();
  const add = (d: Date) => {
    const t = d.getTime();
    if (t > f && t < e) set.add(t);
  };
  const first = local(from, rules.timeZone).minus({ days: 1 });
  const last = local(to, rules.timeZone);
  for (const p of plans) {
    for (const s of p.shifts) (add(s.start), add(s.end));
    if (p.weekly) for (const s of weeklySpans(p.weekly, first, last, rules)) (add(s.start), add(s.end));
  }
  for (const l of leaves) (add(l.start), add(l.end));
  return [...set].sort((a, b) => a - b);
}

/**
 * The first instant after `at`, and before `until`, at which someone's duty may change; `until`
 * when none. The plans and leaves must cover [at, until).
 */
export function nextDutyChange(plans: readonly DutyPlan[], leaves: readonly LeaveSpan[], at: Date, until: Date, rules: DutyRules): Date {
  return new Date(boundaries(plans, leaves, at, until, rules)[0] ?? until.getTime());
}

export interface DutyInterval {
  start: Date;
  end: Date;
  /** Agents on duty throughout, with whom each covers for. */
  onDuty: { agentId: string; coveringFor: string[] }[];
}

/** Who is on duty over [from, to), as consecutive intervals in which nothing changes. */
export function rosterTimeline(plans: readonly DutyPlan[], leaves: readonly LeaveSpan[], from: Date, to: Date, rules: DutyRules): DutyInterval[] {
  const cuts = [from.getTime(), ...boundaries(plans, leaves, from, to, rules), to.getTime()];
  const out: DutyInterval[] = [];
  for (let i = 0; i + 1 < cuts.length; i++) {
    const status = dutyAt(plans, leaves, new Date(cuts[i]!), rules);
    const onDuty = [...status].flatMap(([agentId, s]) => (s.onDuty ? [{ agentId, coveringFor: s.coveringFor }] : []));
    const prev = out[out.length - 1];
    if (prev && JSON.stringify(prev.onDuty) === JSON.stringify(onDuty)) prev.end = new Date(cuts[i + 1]!);
    else out.push({ start: new Date(cuts[i]!), end: new Date(cuts[i + 1]!), onDuty });
  }
  return out;
}

/** The spans in which nobody is on duty (7×24 coverage gaps). */
export function coverageGaps(timeline: readonly DutyInterval[]): { start: Date; end: Date }[] {
  return timeline.filter((i) => i.onDuty.length === 0).map((i) => ({ start: i.start, end: i.end }));
}

/** Two spans overlap when each starts before the other ends. */
export function overlaps(a: { start: Date; end: Date }, b: { start: Date; end: Date }): boolean {
  return a.start.getTime() < b.end.getTime() && b.start.getTime() < a.end.getTime();
}

/** Consecutive offers an agent let go by (rang out, turned away, voicemail, declined) count towards the auto-pause. */
export function isMissedOffer(outcome: string): boolean {
  return outcome === 'no-answer' || outcome === 'rejected-by-screen' || outcome === 'busy';
}
