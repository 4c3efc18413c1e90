import { Router } from 'express';
import { z } from 'zod';
import { actorOf } from '../api/admin-auth';
import { iso } from '../api/json';
import type { Clock } from '../domain/clock';
import { complaintIsLate } from '../domain/complaints';
import { ConflictError, NotFoundError } from '../errors';
import type { ComplaintCase, PostgresComplaintStore } from '../postgres/complaint-store';
import { parseInput } from '../validation';

const listQuery = z.object({
  status: z.enum(['open', 'replied', 'closed'], { message: 'must be open, replied or closed' }).optional(),
  owner: z.string().uuid('must be an agent id').optional(),
  late: z.enum(['true', 'false'], { message: 'must be true or false' }).optional(),
});
const idParam = z.object({ id: z.string().uuid('must be a complaint id') });
const progressBody = z.object({
  note: z.string({ message: 'is required' }).trim().min(3, 'must say what the customer was told (at least 3 characters)').max(2000),
  channel: z.enum(['call', 'sms'], { message: 'must be call or sms' }),
}).strict();
const closeBody = z.object({ resolution: z.string({ message: 'is required' }).trim().min(3, 'must say how it was resolved (at least 3 characters)').max(2000) }).strict();

/** The schemas the handlers below validate with, for the API description (src/api/openapi-catalogue.ts). */
export const complaintSchemas = { listQuery, idParam, progressBody, closeBody };

export const complaintJson = (c: ComplaintCase, now: Date) => ({
  id: c.id,
  phone: c.phone,
  callIds: c.callIds,
  ownerAgentId: c.ownerAgentId,
  openedAt: iso(c.openedAt),
  replyDueAt: iso(c.replyDueAt),
  status: c.status,
  weight: c.weight,
  progress: c.progress.map((p) => ({ note: p.note, channel: p.channel, by: p.by, at: iso(p.at) })),
  late: complaintIsLate(c, now),
  repliedAt: iso(c.repliedAt),
  closedAt: iso(c.closedAt),
  resolution: c.resolution,
});

/** Admin API: complaint cases (R11), their progress replies and their closing. */
export function complaintRoutes(router: Router, store: PostgresComplaintStore, clock: Clock): void {
  const r = Router();

  r.get('/complaints', async (req, res) => {
    const q = parseInput(listQuery, req.query);
    const now = clock.now();
    const cases = (await store.list({ status: q.status, ownerAgentId: q.owner })).filter((c) => q.late === undefined || complaintIsLate(c, now) === (q.late === 'true'));
    res.json({ complaints: cases.map((c) => complaintJson(c, now)) });
  });

  r.get('/complaints/:id', async (req, res) => {
    const { id } = parseInput(idParam, req.params);
    const c = await store.get(id);
    if (!c) throw new NotFoundError(`no complaint ${id}`);
    res.json(complaintJson(c, clock.now()));
  });

  r.post('/complaints/:id/progress', async (req, res) => {
    const { id } = parseInput(idParam, req.params);
    const b = parseInput(progressBody, req.body);
    const now = clock.now();
    if (!(await store.get(id))) throw new NotFoundError(`no complaint ${id}`);
    if (!(await store.addProgress(id, { note: b.note, channel: b.channel, by: actorOf(res), at: now }))) throw new ConflictError('the complaint is closed');
    res.status(201).json(complaintJson((await store.get(id))!, now));
  });

  r.post('/complaints/:id/close', async (req, res) => {
    const { id } = parseInput(idParam, req.params);
    const b = parseInput(closeBody, req.body);
    const now = clock.now();
    if (!(await store.get(id))) throw new NotFoundError(`no complaint ${id}`);
    if (!(await store.close(id, b.resolution, actorOf(res), now))) throw new ConflictError('the complaint is already closed');
    res.json(complaintJson((await store.get(id))!, now));
  });

  router.use(r);
}
