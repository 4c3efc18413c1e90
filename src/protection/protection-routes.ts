import { Router } from 'express';
import { z } from 'zod';
import { actorOf } from '../api/admin-auth';
import { iso } from '../api/json';
import { normalPattern, ruleIsLive } from '../domain/caller-screening';
import type { Clock } from '../domain/clock';
import type { AgentStore, CallStore } from '../domain/ports';
import { BadRequestError, ConflictError, NotFoundError } from '../errors';
import type { BlocklistRule, CallerReport, InternalNumber, PostgresProtectionStore } from '../postgres/protection-store';
import { parseInput } from '../validation';

const pattern = z
  .string({ message: 'is required' })
  .max(32)
  .transform((v, ctx) => {
    const p = normalPattern(v);
    if (!p) {
      ctx.addIssue({ code: 'custom', message: "must be an E.164 number (+8613800000000), a prefix ending in * (+86170*), or 'anonymous'" });
      return z.NEVER;
    }
    return p;
  });
const reason = z.enum(['harassment', 'spam', 'other'], { message: 'must be harassment, spam or other' });
const when = z.coerce.date({ message: 'must be an ISO 8601 date-time' });
const note = z.string().trim().max(500);
const idParam = z.object({ id: z.string().uuid('must be an id') });

const addRule = z.object({ pattern, reason, expiresAt: when.optional(), note: note.optional() }).strict();
const changeRule = z.object({ reason: reason.optional(), expiresAt: when.nullable().optional(), note: note.nullable().optional() }).strict();
const listQuery = z.object({ all: z.enum(['true', 'false']).optional() });
const addInternal = z.object({ pattern, name: z.string().trim().min(1).max(100).optional() }).strict();
const liftReports = z.object({ phone: z.string({ message: 'is required' }).regex(/^\+[1-9]\d{6,14}$/, 'must be an E.164 number') }).strict();

/** The schemas the handlers below validate with, for the API description (src/api/openapi-catalogue.ts). */
export const protectionSchemas = { idParam, addRule, changeRule, listQuery, addInternal, liftReports };

const ruleJson = (r: BlocklistRule, now: Date) => ({
  id: r.id,
  pattern: r.pattern,
  reason: r.reason,
  note: r.note,
  addedBy: r.addedBy,
  createdAt: iso(r.createdAt),
  updatedAt: iso(r.updatedAt),
  expiresAt: iso(r.expiresAt),
  active: ruleIsLive(r, now),
  liftedAt: iso(r.liftedAt),
  liftedBy: r.liftedBy,
  fromReports: r.fromReports,
});

const internalJson = (i: InternalNumber) => ({ id: i.id, pattern: i.pattern, name: i.name, addedBy: i.addedBy, createdAt: iso(i.createdAt) });

export interface ProtectionRouteDeps {
  store: PostgresProtectionStore;
  agents: AgentStore;
  calls: CallStore;
  clock: Clock;
}

/** Admin API: the blocklist, internal numbers, and agents' reports of harassing callers (R10). */
export function protectionRoutes(router: Router, d: ProtectionRouteDeps): void {
  const r = Router();

  r.post('/blocklist', async (req, res) => {
    const b = parseInput(addRule, req.body);
    const now = d.clock.now();
    if (b.expiresAt && b.expiresAt <= now) throw new BadRequestError('expiresAt: must be in the future', 'expiresAt');
    const rule = await d.store.addRule({ pattern: b.pattern, reason: b.reason, note: b.note ?? null, expiresAt: b.expiresAt ?? null, addedBy: actorOf(res), at: now });
    res.status(201).json(ruleJson(rule, now));
  });

  r.get('/blocklist', async (req, res) => {
    const q = parseInput(listQuery, req.query);
    const now = d.clock.now();
    res.json({ rules: (await d.store.listRules({ includeLifted: q.all === 'true' })).map((x) => ruleJson(x, now)) });
  });

  r.patch('/blocklist/:id', async (req, res) => {
    const { id } = parseInput(idParam, req.params);
    const b = parseInput(changeRule, req.body);
    const now = d.clock.now();
    const rule = await d.store.getRule(id);
    if (!rule) throw new NotFoundError(`no blocklist rule ${id}`);
    if (rule.liftedAt) throw new ConflictError('the rule was lifted: add a new one');
    if (b.expiresAt && b.expiresAt <= now) throw new BadRequestError('expiresAt: must be in the future', 'expiresAt');
    res.json(ruleJson((await d.store.changeRule(id, { ...b, at: now }))!, now));
  });

  r.delete('/blocklist/:id', async (req, res) => {
    const { id } = parseInput(idParam, req.params);
    const now = d.clock.now();
    const rule = await d.store.liftRule(id, actorOf(res), now);
    if (!rule) throw new NotFoundError(`no blocklist rule ${id}`);
    res.json(ruleJson(rule, now));
  });

  r.post('/internal-numbers', async (req, res) => {
    const b = parseInput(addInternal, req.body);
    const added = await d.store.addInternal({ pattern: b.pattern, name: b.name ?? null, addedBy: actorOf(res), at: d.clock.now() });
    if (!added) throw new ConflictError(`${b.pattern} is already an internal number`, 'pattern');
    res.status(201).json(internalJson(added));
  });

  r.get('/internal-numbers', async (_req, res) => {
    const [list, agents] = await Promise.all([d.store.listInternal(), d.agents.list()]);
    // The agents' own phones are internal too, without being on the list.
    res.json({ internalNumbers: list.map(internalJson), agentPhones: agents.map((a) => ({ agentId: a.id, name: a.name, phone: a.phone })) });
  });

  r.delete('/internal-numbers/:id', async (req, res) => {
    const { id } = parseInput(idParam, req.params);
    if (!(await d.store.removeInternal(id, actorOf(res), d.clock.now()))) throw new NotFoundError(`no internal number ${id}`);
    res.status(204).end();
  });

  r.get('/caller-reports', async (req, res) => {
    const q = parseInput(listQuery, req.query);
    const reports = await d.store.listReports({ includeLifted: q.all === 'true' });
    res.json({ reports: await Promise.all(reports.map((x) => reportJson(x, d.calls))) });
  });

  r.post('/caller-reports/lift', async (req, res) => {
    const b = parseInput(liftReports, req.body);
    const lifted = await d.store.liftReports(b.phone, actorOf(res), d.clock.now());
    if (lifted === 0) throw new NotFoundError('no standing report against that number');
    res.json({ lifted });
  });

  router.use(r);
}

async function reportJson(x: CallerReport, calls: CallStore) {
  const call = await calls.getCall(x.callId);
  return {
    id: x.id,
    phone: x.phone,
    agentId: x.agentId,
    reportedAt: iso(x.reportedAt),
    liftedAt: iso(x.liftedAt),
    liftedBy: x.liftedBy,
    call: call ? { id: call.id, startedAt: iso(call.startedAt), outcome: call.outcome, answeredByAgentId: call.answeredByAgentId, talkSeconds: call.talkSeconds } : null,
  };
}
