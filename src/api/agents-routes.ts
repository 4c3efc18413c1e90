import { Router } from 'express';
import { z } from 'zod';
import { parseEndpoint } from '../domain/endpoint';
import type { Agent, AgentStore } from '../domain/ports';
import { NotFoundError } from '../errors';
import { parseInput } from '../validation';

const endpoint = z
  .string()
  .trim()
  .refine((v) => parseEndpoint(v) !== null, 'must be an E.164 number (+8613812345678) or a SIP URI (sip:user@host)');
const name = z.string().trim().min(1, 'must not be empty').max(100);

const createAgent = z.object({ name, phone: endpoint, position: z.number().int().min(0).max(1_000_000).optional(), paused: z.boolean().optional() }).strict();
const updateAgent = z
  .object({ name, phone: endpoint, active: z.boolean(), paused: z.boolean(), position: z.number().int().min(0).max(1_000_000) })
  .partial()
  .strict();
const agentId = z.object({ id: z.string().uuid('must be an agent id') });
/** The schemas the handlers below validate with, for the API description (src/api/openapi-catalogue.ts). */
export const agentSchemas = { createAgent, updateAgent, agentId };

export const agentJson = (a: Agent) => ({
  id: a.id,
  name: a.name,
  phone: a.phone,
  active: a.active,
  paused: a.paused,
  pausedReason: a.pausedReason,
  pausedAt: a.pausedAt ? a.pausedAt.toISOString() : null,
  position: a.position,
  createdAt: a.createdAt.toISOString(),
  updatedAt: a.updatedAt.toISOString(),
});

/** The roster: who answers the hotline, in which rotation position, and who is paused. */
export interface AgentRosterState {
  onDuty: boolean;
  onLeave: boolean;
  coveringFor: string[];
}

export function agentsRoutes(agents: AgentStore, roster?: { describe(agent: Agent): Promise<AgentRosterState> }): Router {
  const router = Router();

  router.post('/agents', async (req, res) => {
    const input = parseInput(createAgent, req.body);
    res.status(201).json(agentJson(await agents.create(input)));
  });

  router.get('/agents', async (req, res) => {
    const includeInactive = req.query.includeInactive === 'true';
    res.json({ agents: (await agents.list({ includeInactive })).map(agentJson) });
  });

  router.get('/agents/:id', async (req, res) => {
    const { id } = parseInput(agentId, req.params);
    const agent = await agents.get(id);
    if (!agent) throw new NotFoundError(`no agent ${id}`);
    const state = roster ? await roster.describe(agent) : null;
    res.json({ ...agentJson(agent), ...(state && { onDuty: state.onDuty, onLeave: state.onLeave, coveringFor: state.coveringFor }) });
  });

  router.patch('/agents/:id', async (req, res) => {
    const { id } = parseInput(agentId, req.params);
    const changes = parseInput(updateAgent, req.body);
    const agent = await agents.update(id, changes);
    if (!agent) throw new NotFoundError(`no agent ${id}`);
    res.json(agentJson(agent));
  });

  // Deleting deactivates: the agent's calls, attempts and fines stay on record.
  router.delete('/agents/:id', async (req, res) => {
    const { id } = parseInput(agentId, req.params);
    const agent = await agents.update(id, { active: false });
    if (!agent) throw new NotFoundError(`no agent ${id}`);
    res.json(agentJson(agent));
  });

  return router;
}
