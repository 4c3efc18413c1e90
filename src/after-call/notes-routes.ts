import type { Router } from 'express';
import { z } from 'zod';
import { callsJson } from '../routing/calls-routes';
import { parseNotesUpdate } from '../api/notes-input';
import type { Clock } from '../domain/clock';
import type { CallStore } from '../domain/ports';
import { BadRequestError, NotFoundError } from '../errors';
import { parseInput } from '../validation';
import { actorOf } from '../api/admin-auth';
import type { CallNotesStore } from '../postgres/call-notes-store';
import type { Customer, CustomerStore } from '../postgres/customer-store';

export interface NotesRoutesDeps {
  calls: CallStore;
  notes: CallNotesStore;
  customers: CustomerStore;
  clock: Clock;
}

const callId = z.object({ id: z.string().uuid('must be a call id') });
const phoneParam = z.object({ phone: z.string().trim().min(3, 'must be a phone number').max(200, 'must be a phone number') });
/** Trimmed; an empty text clears the field. */
const text = (max: number) =>
  z
    .string({ message: 'must be text' })
    .trim()
    .max(max, `must be at most ${max} characters`)
    .nullable()
    .transform((v) => (v === '' ? null : v))
    .optional();
const customerChanges = z.object({ name: text(100), notes: text(4000) });
/** The schemas the handlers below validate with, for the API description (src/api/openapi-catalogue.ts). */
export const notesSchemas = { callId, phoneParam, customerChanges };
const HISTORY_LIMIT = 200;

const customerJson = (c: Customer) => ({
  id: c.id,
  phone: c.phone,
  name: c.name,
  nameSuggestion: c.nameSuggestion,
  notes: c.notes,
  createdAt: c.createdAt.toISOString(),
  updatedAt: c.updatedAt.toISOString(),
});

/** Admin API: write up a call (audited with the token's actor), read its notes' history, and the customer files. */
export function notesRoutes(router: Router, d: NotesRoutesDeps): void {
  router.patch('/calls/:id', async (req, res) => {
    const { id } = parseInput(callId, req.params);
    const update = parseNotesUpdate(req.body);
    const result = await d.notes.update(id, update, actorOf(res), d.clock.now());
    if (!result) throw new NotFoundError(`no call ${id}`);
    res.json((await callsJson(d.calls, [result.call]))[0]);
  });

  router.get('/calls/:id/notes-history', async (req, res) => {
    const { id } = parseInput(callId, req.params);
    if (!(await d.calls.getCall(id))) throw new NotFoundError(`no call ${id}`);
    const changes = await d.notes.history(id);
    res.json({ changes: changes.map((c) => ({ ...c, changedAt: c.changedAt.toISOString() })) });
  });

  router.get('/customers/:phone', async (req, res) => {
    const { phone } = parseInput(phoneParam, req.params);
    const customer = await d.customers.getByPhone(phone);
    if (!customer) throw new NotFoundError(`no customer with number ${phone}`);
    const calls = await d.calls.listCalls({ callerNumber: customer.phone, limit: HISTORY_LIMIT });
    res.json({ ...customerJson(customer), calls: await callsJson(d.calls, calls) });
  });

  router.patch('/customers/:phone', async (req, res) => {
    const { phone } = parseInput(phoneParam, req.params);
    const changes = parseInput(customerChanges, req.body ?? {});
    if (changes.name === undefined && changes.notes === undefined) throw new BadRequestError('body: give name or notes');
    const customer = await d.customers.update(phone, changes, d.clock.now());
    if (!customer) throw new NotFoundError(`no customer with number ${phone}`);
    res.json(customerJson(customer));
  });
}
