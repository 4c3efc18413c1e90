import { Router } from 'express';
import { DateTime } from 'luxon';
import { z } from 'zod';
import type { Clock } from '../domain/clock';
import type { AgentStore } from '../domain/ports';
import { NotFoundError } from '../errors';
import type { Fine, PostgresFineStore } from '../postgres/fine-store';
import { parseInput } from '../validation';
import { actorOf } from '../api/admin-auth';

const fineJson = (f: Fine) => ({
  id: f.id,
  agentId: f.agentId,
  callbackId: f.callbackId,
  period: f.period,
  ordinal: f.ordinal,
  amount: f.amount,
  lapsedAt: f.lapsedAt.toISOString(),
  createdAt: f.createdAt.toISOString(),
  waived: f.waivedAt !== null,
  waivedAt: f.waivedAt ? f.waivedAt.toISOString() : null,
  waivedReason: f.waivedReason,
  waivedBy: f.waivedBy,
});

const monthQuery = z.object({ month: z.string().regex(/^\d{4}-(0[1-9]|1[0-2])$/, 'must be YYYY-MM').optional() });
const idParam = z.object({ id: z.string().uuid('must be a fine id') });
const waiveBody = z.object({ reason: z.string({ message: 'is required' }).trim().min(3, 'must say why (at least 3 characters)').max(500) });
/** The schemas the handlers below validate with, for the API description (src/api/openapi-catalogue.ts). */
export const fineSchemas = { monthQuery, idParam, waiveBody };

/** Admin API: the fines ledger per agent for a month (in the hotline's zone), and waivers. */
export function fineRoutes(router: Router, fines: PostgresFineStore, agents: AgentStore, clock: Clock, timeZone: string): void {
  const r = Router();

  r.get('/fines', async (req, res) => {
    const q = parseInput(monthQuery, req.query);
    const start = q.month ? DateTime.fromFormat(q.month, 'yyyy-MM', { zone: timeZone }) : DateTime.fromJSDate(clock.now(), { zone: timeZone }).startOf('month');
    const list = await fines.listLapsedBetween(start.toJSDate(), start.plus({ months: 1 }).toJSDate());
    const names = new Map((await agents.list({ includeInactive: true })).map((a) => [a.id, a.name]));
    const byAgent = new Map<string, Fine[]>();
    for (const f of list) byAgent.set(f.agentId, [...(byAgent.get(f.agentId) ?? []), f]);
    res.json({
      month: start.toFormat('yyyy-MM'),
      agents: [...byAgent.entries()].map(([agentId, fs]) => ({
        agentId,
        name: names.get(agentId) ?? null,
        lapses: fs.length,
        total: fs.filter((f) => !f.waivedAt).reduce((sum, f) => sum + f.amount, 0),
        waivedTotal: fs.filter((f) => f.waivedAt).reduce((sum, f) => sum + f.amount, 0),
        fines: fs.map(fineJson),
      })),
    });
  });

  r.post('/fines/:id/waive', async (req, res) => {
    const { id } = parseInput(idParam, req.params);
    const { reason } = parseInput(waiveBody, req.body);
    const fine = await fines.waive(id, reason, clock.now(), actorOf(res));
    if (!fine) throw new NotFoundError(`no fine ${id}`);
    res.json(fineJson(fine));
  });

  router.use(r);
}
