import { Router } from 'express';
import { z } from 'zod';
import { actorOf } from '../api/admin-auth';
import { iso } from '../api/json';
import type { Clock } from '../domain/clock';
import { FAULT_CLASSES, PROGRESS_CHANNELS, TICKET_KINDS, TICKET_STATUSES, ticketIsLate } from '../domain/tickets';
import type { PostgresTicketStore, Ticket, TicketEvent } from '../postgres/ticket-store';
import { parseInput } from '../validation';
import type { TicketDesk } from './ticket-desk';

const e164 = /^\+[1-9]\d{6,14}$/;
const kind = z.enum(TICKET_KINDS, { message: `must be one of ${TICKET_KINDS.join(', ')}` });
const assignee = z
  .object({
    name: z.string({ message: 'is required' }).trim().min(1, 'is required').max(100),
    mobile: z.string().trim().regex(e164, 'must be an E.164 number such as +8613800000000').optional(),
    channel: z.string().trim().min(1).max(100).optional(),
  }, { message: 'must be { name, mobile or channel }' })
  .strict()
  .refine((a) => a.mobile !== undefined || a.channel !== undefined, { message: 'needs a mobile or a notify channel to be reached through', path: ['mobile'] });
const createBody = z
  .object({
    kind,
    callId: z.string().uuid('must be a call id').optional(),
    phone: z.string().trim().regex(e164, 'must be an E.164 number such as +8613800000000').optional(),
    ownerAgentId: z.string().uuid('must be an agent id').optional(),
    assignee: assignee.optional(),
    dueAt: z.string().datetime({ offset: true, message: 'must be an ISO 8601 time with its offset, e.g. 2026-12-08T10:00:00+08:00' }).transform((v) => new Date(v)).optional(),
    summary: z.string({ message: 'is required' }).trim().min(3, 'must say what was promised (at least 3 characters)').max(2000),
  })
  .strict();
const listQuery = z.object({
  kind: kind.optional(),
  status: z.enum(TICKET_STATUSES, { message: `must be one of ${TICKET_STATUSES.join(', ')}` }).optional(),
  owner: z.string().uuid('must be an agent id').optional(),
  late: z.enum(['true', 'false'], { message: 'must be true or false' }).optional(),
});
const idParam = z.object({ id: z.string().uuid('must be a ticket id') });
const progressBody = z
  .object({
    note: z.string({ message: 'is required' }).trim().min(3, 'must say what was done or told (at least 3 characters)').max(2000),
    channel: z.enum(PROGRESS_CHANNELS, { message: `must be one of ${PROGRESS_CHANNELS.join(', ')}` }),
  })
  .strict();
const closeBody = z
  .object({
    resolution: z.string({ message: 'is required' }).trim().min(3, 'must say how it was resolved (at least 3 characters)').max(2000),
    faultClass: z.enum(FAULT_CLASSES, { message: 'must be company or not-company' }).optional(),
  })
  .strict();
const linkCallBody = z.object({ callId: z.string({ message: 'is required' }).uuid('must be a call id') }).strict();

/** The schemas the handlers below validate with, for the API description (src/api/openapi-catalogue.ts). */
export const ticketSchemas = { createBody, listQuery, idParam, progressBody, closeBody, linkCallBody };

const eventJson = (e: TicketEvent) => ({ event: e.event, note: e.note, channel: e.channel, by: e.by, at: iso(e.at) });

/** A ticket as the API answers it (the console and agent pages read the same). */
export const ticketJson = (t: Ticket, now: Date) => ({
  id: t.id,
  kind: t.kind,
  status: t.status,
  phone: t.phone,
  callIds: t.callIds,
  ownerAgentId: t.ownerAgentId,
  assignee: t.assignee,
  summary: t.summary,
  openedAt: iso(t.openedAt),
  dueAt: iso(t.dueAt),
  late: ticketIsLate(t, now),
  weight: t.weight,
  notes: t.notes.map(eventJson),
  history: t.history.map(eventJson),
  chases: t.chases,
  nextChaseAt: iso(t.nextChaseAt),
  closedAt: iso(t.closedAt),
  closedBy: t.closedBy,
  resolution: t.resolution,
  faultClass: t.faultClass,
  parentTicketId: t.parentTicketId ?? t.parentComplaintId,
  createdBy: t.createdBy,
});

/** Admin API: tickets (工单) of every kind, complaint cases among them. */
export function ticketRoutes(router: Router, desk: TicketDesk, store: PostgresTicketStore, clock: Clock, dial: (id: string) => Promise<unknown>): void {
  const r = Router();

  r.post('/tickets', async (req, res) => {
    const b = parseInput(createBody, req.body);
    const { ticket, created } = await desk.create(
      { ...b, assignee: b.assignee && { name: b.assignee.name, mobile: b.assignee.mobile ?? null, channel: b.assignee.channel ?? null } },
      actorOf(res),
    );
    // The same call's ticket of the same kind, asked for again: the one already open (200).
    res.status(created ? 201 : 200).json(ticketJson(ticket, clock.now()));
  });

  r.get('/tickets', async (req, res) => {
    const q = parseInput(listQuery, req.query);
    const now = clock.now();
    const list = await store.list({ kind: q.kind, status: q.status, ownerAgentId: q.owner, late: q.late === undefined ? undefined : q.late === 'true' }, now);
    res.json({ tickets: list.map((t) => ticketJson(t, now)) });
  });

  r.get('/tickets/:id', async (req, res) => {
    const { id } = parseInput(idParam, req.params);
    res.json(ticketJson(await desk.mustGet(id), clock.now()));
  });

  r.post('/tickets/:id/progress', async (req, res) => {
    const { id } = parseInput(idParam, req.params);
    const b = parseInput(progressBody, req.body);
    res.status(201).json(ticketJson(await desk.progress(id, b, actorOf(res)), clock.now()));
  });

  r.post('/tickets/:id/close', async (req, res) => {
    const { id } = parseInput(idParam, req.params);
    const b = parseInput(closeBody, req.body);
    res.json(ticketJson(await desk.close(id, b, actorOf(res)), clock.now()));
  });

  r.post('/tickets/:id/calls', async (req, res) => {
    const { id } = parseInput(idParam, req.params);
    const b = parseInput(linkCallBody, req.body);
    res.json(ticketJson(await desk.linkCall(id, b.callId, actorOf(res)), clock.now()));
  });

  r.post('/tickets/:id/dial', async (req, res) => {
    const { id } = parseInput(idParam, req.params);
    res.status(202).json(await dial(id));
  });

  router.use(r);
}
