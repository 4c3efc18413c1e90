import { Router } from 'express';
import { z } from 'zod';
import { actorOf } from '../api/admin-auth';
import { iso } from '../api/json';
import type { Clock } from '../domain/clock';
import type { AgentStore } from '../domain/ports';
import { coverageGaps, isHhMm, rosterTimeline, type DutyRules } from '../domain/shifts';
import { BadRequestError, ConflictError, NotFoundError } from '../errors';
import type { PostgresAuditStore } from '../postgres/audit-store';
import type { Hotline, Leave, PostgresRosterStore, Shift } from '../postgres/roster-store';
import { recordLeave } from './leave-request';
import { parseInput } from '../validation';

const MAX_ROSTER_DAYS = 31;
const uuid = (what: string) => z.string().uuid(`must be ${what}`);
const instant = z.coerce.date({ message: 'must be an ISO 8601 date-time' });
const idParam = z.object({ id: uuid('an id') });
const hhmm = z.string().refine(isHhMm, 'must be HH:MM (00:00-23:59)');
const e164 = z.string().trim().regex(/^\+[1-9]\d{6,14}$/, 'must be an E.164 number such as +864008001234');

const newShift = z.object({ agentId: uuid('an agent id'), start: instant, end: instant, kind: z.enum(['on', 'off']).default('on') }).strict();
const schedule = z.object({ weekly: z.array(z.object({ day: z.number().int().min(1, 'must be 1-7 (ISO weekday)').max(7, 'must be 1-7 (ISO weekday)'), start: hhmm, end: hhmm }).strict()).max(50) }).strict();
const newLeave = z
  .object({ agentId: uuid('an agent id'), start: instant, end: instant, kind: z.enum(['annual', 'sick', 'personal']), substituteAgentId: uuid('an agent id') })
  .strict();
const range = z.object({ from: instant, to: instant });
const hotlineFields = {
  number: e164,
  name: z.string().trim().min(1, 'must not be empty').max(100),
  agentIds: z.array(uuid('an agent id')).max(500),
  standbyAgentIds: z.array(uuid('an agent id')).max(500),
  language: z.enum(['zh-CN', 'en-US']).nullable(),
  greeting: z.string().trim().max(500).nullable(),
};
const newHotline = z
  .object({ ...hotlineFields, language: hotlineFields.language.optional(), greeting: hotlineFields.greeting.optional(), standbyAgentIds: hotlineFields.standbyAgentIds.optional() })
  .strict();
const hotlinePatch = z.object(hotlineFields).partial().strict();

/** The schemas the handlers below validate with, for the API description (src/api/openapi-catalogue.ts). */
export const rosterSchemas = { idParam, newShift, schedule, newLeave, range, newHotline, hotlinePatch };

export const shiftJson = (s: Shift) => ({ id: s.id, agentId: s.agentId, start: iso(s.start), end: iso(s.end), kind: s.kind, createdAt: iso(s.createdAt) });
export const leaveJson = (l: Leave) => ({
  id: l.id,
  agentId: l.agentId,
  substituteAgentId: l.substituteAgentId,
  start: iso(l.start),
  end: iso(l.end),
  kind: l.kind,
  createdAt: iso(l.createdAt),
});
export const hotlineJson = (h: Hotline) => ({ id: h.id, number: h.number, name: h.name, language: h.language, greeting: h.greeting, agentIds: h.agentIds, standbyAgentIds: h.standbyAgentIds, createdAt: iso(h.createdAt), updatedAt: iso(h.updatedAt) });

function spanOf(start: Date, end: Date) {
  if (end.getTime() <= start.getTime()) throw new BadRequestError('end: must be after start', 'end');
  return { start, end };
}

export interface RosterRoutesDeps {
  store: PostgresRosterStore;
  agents: AgentStore;
  audit: PostgresAuditStore;
  clock: Clock;
  rules: DutyRules;
  /** Runs once a leave is recorded: a leave already begun hands its callbacks over at once. */
  leaveAdded(): Promise<void>;
  /** Runs once a hotline is added or changed: this instance's callers hear its language and greeting at once. */
  hotlinesChanged?(): Promise<void>;
}

/** Shifts, weekly patterns, leave, hotlines and the roster view; every change audited with before and after. */
export function rosterRoutes(d: RosterRoutesDeps): Router {
  const router = Router();
  const audit = (res: Parameters<typeof actorOf>[0], action: string, target: string, before: unknown, after: unknown) =>
    d.audit.record({ actor: actorOf(res), action, target, detail: { before, after }, at: d.clock.now() });
  const activeAgent = async (id: string, field: string) => {
    const agent = await d.agents.get(id);
    if (!agent || !agent.active) throw new BadRequestError(`${field}: no active agent ${id}`, field);
    return agent;
  };

  router.post('/shifts', async (req, res) => {
    const input = parseInput(newShift, req.body);
    await activeAgent(input.agentId, 'agentId');
    const shift = await d.store.addShift({ agentId: input.agentId, kind: input.kind, ...spanOf(input.start, input.end) }, d.clock.now());
    await audit(res, 'roster.shift-added', `agent:${shift.agentId}`, null, shiftJson(shift));
    res.status(201).json(shiftJson(shift));
  });

  router.get('/shifts', async (req, res) => {
    const q = parseInput(range, req.query);
    res.json({ shifts: (await d.store.listShifts(q.from, q.to)).map(shiftJson) });
  });

  router.delete('/shifts/:id', async (req, res) => {
    const { id } = parseInput(idParam, req.params);
    const shift = await d.store.getShift(id);
    if (!shift || !(await d.store.deleteShift(id))) throw new NotFoundError(`no shift ${id}`);
    await audit(res, 'roster.shift-deleted', `agent:${shift.agentId}`, shiftJson(shift), null);
    res.json(shiftJson(shift));
  });

  router.get('/agents/:id/schedule', async (req, res) => {
    const { id } = parseInput(idParam, req.params);
    if (!(await d.agents.get(id))) throw new NotFoundError(`no agent ${id}`);
    res.json({ agentId: id, weekly: (await d.store.schedule(id)) ?? [] });
  });

  router.put('/agents/:id/schedule', async (req, res) => {
    const { id } = parseInput(idParam, req.params);
    const { weekly } = parseInput(schedule, req.body);
    if (!(await d.agents.get(id))) throw new NotFoundError(`no agent ${id}`);
    const before = await d.store.schedule(id);
    await d.store.setSchedule(id, weekly, d.clock.now());
    await audit(res, 'roster.schedule-set', `agent:${id}`, before ?? [], weekly);
    res.json({ agentId: id, weekly });
  });

  router.post('/leaves', async (req, res) => {
    const input = parseInput(newLeave, req.body);
    const leave = await recordLeave(d, input, d.clock.now());
    await audit(res, 'roster.leave-added', `agent:${leave.agentId}`, null, leaveJson(leave));
    await d.leaveAdded();
    res.status(201).json(leaveJson(leave));
  });

  router.get('/leaves', async (_req, res) => {
    res.json({ leaves: (await d.store.listLeaves()).map(leaveJson) });
  });

  router.delete('/leaves/:id', async (req, res) => {
    const { id } = parseInput(idParam, req.params);
    const leave = await d.store.getLeave(id);
    if (!leave || !(await d.store.deleteLeave(id))) throw new NotFoundError(`no leave ${id}`);
    await audit(res, 'roster.leave-deleted', `agent:${leave.agentId}`, leaveJson(leave), null);
    res.json(leaveJson(leave));
  });

  const checkMembers = async (ids: readonly string[] | undefined, field = 'agentIds') => {
    for (const [i, id] of (ids ?? []).entries()) await activeAgent(id, `${field}.${i}`);
  };

  router.post('/hotlines', async (req, res) => {
    const input = parseInput(newHotline, req.body);
    await checkMembers(input.agentIds);
    await checkMembers(input.standbyAgentIds, 'standbyAgentIds');
    const id = await d.store.saveHotline(null, input, d.clock.now());
    if (!id) throw new ConflictError(`number: a hotline already has ${input.number}`, 'number');
    const created = (await d.store.getHotline(id))!;
    await d.hotlinesChanged?.();
    await audit(res, 'roster.hotline-added', `hotline:${id}`, null, hotlineJson(created));
    res.status(201).json(hotlineJson(created));
  });

  router.get('/hotlines', async (_req, res) => {
    res.json({ hotlines: (await d.store.listHotlines()).map(hotlineJson) });
  });

  router.get('/hotlines/:id', async (req, res) => {
    const { id } = parseInput(idParam, req.params);
    const h = await d.store.getHotline(id);
    if (!h) throw new NotFoundError(`no hotline ${id}`);
    res.json(hotlineJson(h));
  });

  router.patch('/hotlines/:id', async (req, res) => {
    const { id } = parseInput(idParam, req.params);
    const input = parseInput(hotlinePatch, req.body);
    const before = await d.store.getHotline(id);
    if (!before) throw new NotFoundError(`no hotline ${id}`);
    await checkMembers(input.agentIds);
    await checkMembers(input.standbyAgentIds, 'standbyAgentIds');
    if (!(await d.store.saveHotline(id, input, d.clock.now()))) throw new ConflictError(`number: a hotline already has ${input.number}`, 'number');
    const after = (await d.store.getHotline(id))!;
    await d.hotlinesChanged?.();
    await audit(res, 'roster.hotline-changed', `hotline:${id}`, hotlineJson(before), hotlineJson(after));
    res.json(hotlineJson(after));
  });

  router.get('/roster', async (req, res) => {
    const q = parseInput(range, req.query);
    const span = spanOf(q.from, q.to);
    if (span.end.getTime() - span.start.getTime() > MAX_ROSTER_DAYS * 24 * 3600_000) throw new BadRequestError(`to: at most ${MAX_ROSTER_DAYS} days after from`, 'to');
    res.json(await rosterView(d, span.start, span.end));
  });

  return router;
}

/** Who is on duty over [from, to), and the spans in which nobody is. */
export async function rosterView(d: Pick<RosterRoutesDeps, 'store' | 'agents' | 'rules'>, from: Date, to: Date) {
  const agents = (await d.agents.list()).filter((a) => a.active);
  const [plans, leaves] = await Promise.all([d.store.plans(agents.map((a) => a.id), new Date(from.getTime() - 2 * 24 * 3600_000), to), d.store.leavesOverlapping(from, to)]);
  const timeline = rosterTimeline(plans, leaves, from, to, d.rules);
  return {
    from: iso(from),
    to: iso(to),
    timeZone: d.rules.timeZone,
    intervals: timeline.map((i) => ({ start: iso(i.start), end: iso(i.end), onDuty: i.onDuty })),
    gaps: coverageGaps(timeline).map((g) => ({ start: iso(g.start), end: iso(g.end) })),
  };
}
