import type { RequestHandler, Router } from 'express';
import { z } from 'zod';
import { actorOf } from '../api/admin-auth';
import { agentJson } from '../api/agents-routes';
import { iso } from '../api/json';
import type { Clock } from '../domain/clock';
import { ADMIN_TOKEN_ACTOR } from '../domain/console-roles';
import { isE164 } from '../domain/endpoint';
import type { AgentStore } from '../domain/ports';
import { BadRequestError, ForbiddenError, NotFoundError } from '../errors';
import type { PostgresAccountStore } from '../postgres/account-store';
import { CHANNEL_KINDS, type AgentNotifyPref, type ChannelSecrets, type Notification, type NotifyChannel, type PostgresNotifyStore } from '../postgres/notify-store';
import { parseInput } from '../validation';

const secret = z.string().trim().min(1, 'must not be empty').max(500);
const newChannel = z
  .object({
    kind: z.enum(CHANNEL_KINDS as ['wecom-robot', 'dingtalk-robot', 'wecom-app'], { message: 'must be wecom-robot, dingtalk-robot or wecom-app' }),
    name: z.string().trim().min(1, 'must not be empty').max(100),
    key: secret.optional(),
    accessToken: secret.optional(),
    secret: secret.optional(),
    corpId: secret.optional(),
    corpSecret: secret.optional(),
    agentId: z.union([z.string().trim().regex(/^\d{1,12}$/, 'must be the app\'s AgentId (digits)'), z.number().int().positive()]).optional(),
  })
  .strict();
const channelRef = z.string().trim().min(1, 'must be sms or a notify channel id');
const agentNotify = z
  .object({
    channel: channelRef,
    mobile: z.string().trim().regex(/^\+[1-9]\d{6,14}$/, 'must be an E.164 number such as +8613800000000').nullable().optional(),
    userId: z.string().trim().min(1).max(64).nullable().optional(),
  })
  .strict();
const alerts = z.object({ channel: channelRef }).strict();
const listQuery = z.object({
  agentId: z.string().uuid('must be an agent id').optional(),
  status: z.enum(['queued', 'sent', 'failed'], { message: 'must be queued, sent or failed' }).optional(),
  since: z.coerce.date({ message: 'must be an ISO 8601 date-time' }).optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(200),
});
const uuidParam = z.object({ id: z.string().uuid('must be an id') });
/** The schemas these routes validate with, for the OpenAPI description (src/api/openapi-catalogue.ts). */
export const notifySchemas = { newChannel, agentNotify, alerts, listQuery, uuidParam };

/** Which secrets each kind needs; the API names the missing one. */
function secretsOf(input: z.infer<typeof newChannel>): ChannelSecrets {
  const need = (field: 'key' | 'accessToken' | 'secret' | 'corpId' | 'corpSecret' | 'agentId') => {
    const v = input[field];
    if (v === undefined || v === '') throw new BadRequestError(`${field}: required for a ${input.kind} channel`, field);
    return String(v);
  };
  switch (input.kind) {
    case 'wecom-robot':
      return { key: need('key') };
    case 'dingtalk-robot':
      return { accessToken: need('accessToken'), secret: need('secret') };
    case 'wecom-app':
      return { corpId: need('corpId'), corpSecret: need('corpSecret'), agentId: need('agentId') };
  }
}

/** A channel as the API shows it: never its secrets. */
export const channelJson = (c: NotifyChannel) => ({ id: c.id, kind: c.kind, name: c.name, createdAt: iso(c.createdAt) });
const notificationJson = (n: Notification) => ({
  id: n.id,
  agentId: n.agentId,
  channel: n.channel,
  kind: n.kind,
  status: n.status,
  attempts: n.attempts,
  ...(n.errorCode ? { errorCode: n.errorCode } : {}),
  createdAt: iso(n.createdAt),
  ...(n.sentAt ? { sentAt: iso(n.sentAt) } : {}),
});

export interface NotifyRoutesDeps {
  store: PostgresNotifyStore;
  agents: AgentStore;
  accounts: PostgresAccountStore;
  clock: Clock;
}

/** Channels and who gets what are the admins' to change: ADMIN_TOKEN, or an admin account's token. */
function adminOnly(accounts: PostgresAccountStore): RequestHandler {
  return async (_req, res, next) => {
    const actor = actorOf(res);
    if (actor === ADMIN_TOKEN_ACTOR) return next();
    const username = actor.replace(/^account:/, '');
    const account = (await accounts.credentials(username))?.account;
    if (account?.role === 'admin') return next();
    next(new ForbiddenError(`only an admin may change notice channels (your role: ${account?.role ?? 'unknown'})`));
  };
}

/** POST/GET/DELETE /notify-channels, PUT /agents/:id/notify, PUT /alerts, GET /notifications. */
export function notifyRoutes(router: Router, d: NotifyRoutesDeps): void {
  const admin = adminOnly(d.accounts);

  /** 'sms' or a live channel id; a channel that does not exist is the caller's mistake (400). */
  const resolveChannel = async (ref: string): Promise<NotifyChannel | 'sms'> => {
    if (ref === 'sms') return 'sms';
    const channel = /^[0-9a-f-]{36}$/i.test(ref) ? await d.store.channel(ref) : null;
    if (!channel) throw new BadRequestError(`channel: '${ref}' is neither sms nor a notify channel id`, 'channel');
    return channel;
  };

  router.post('/notify-channels', admin, async (req, res) => {
    const input = parseInput(newChannel, req.body);
    const channel = await d.store.createChannel({ kind: input.kind, name: input.name, secrets: secretsOf(input), now: d.clock.now() });
    res.status(201).json({ id: channel.id, kind: channel.kind, name: channel.name });
  });

  router.get('/notify-channels', async (_req, res) => {
    res.json({ channels: (await d.store.listChannels()).map(channelJson) });
  });

  router.delete('/notify-channels/:id', admin, async (req, res) => {
    const { id } = parseInput(uuidParam, req.params);
    if (!(await d.store.deleteChannel(id, d.clock.now()))) throw new NotFoundError(`no notify channel ${id}`);
    res.status(204).end();
  });

  router.put('/agents/:id/notify', admin, async (req, res) => {
    const { id } = parseInput(uuidParam, req.params);
    const input = parseInput(agentNotify, req.body);
    const agent = await d.agents.get(id);
    if (!agent) throw new NotFoundError(`no agent ${id}`);
    const channel = await resolveChannel(input.channel);
    const pref: AgentNotifyPref = { channel: channel === 'sms' ? 'sms' : channel.id, mobile: input.mobile ?? null, userId: input.userId ?? null };
    if (channel === 'sms' && !isE164(agent.phone) && !pref.mobile) {
      throw new BadRequestError(`mobile: SMS cannot reach the agent's sip: endpoint; give a mobile (E.164) or choose a WeCom or DingTalk channel`, 'mobile');
    }
    if (channel !== 'sms' && channel.kind === 'wecom-app' && !pref.userId) {
      throw new BadRequestError('userId: a wecom-app channel reaches one person by their WeCom userid; give userId', 'userId');
    }
    await d.store.setAgentPref(agent.id, pref, d.clock.now());
    res.json({ ...agentJson(agent), notify: pref });
  });

  router.get('/agents/:id/notify', async (req, res) => {
    const { id } = parseInput(uuidParam, req.params);
    const agent = await d.agents.get(id);
    if (!agent) throw new NotFoundError(`no agent ${id}`);
    res.json({ ...agentJson(agent), notify: (await d.store.agentPref(agent.id)) ?? { channel: 'sms', mobile: null, userId: null } });
  });

  router.put('/alerts', admin, async (req, res) => {
    const input = parseInput(alerts, req.body);
    const channel = await resolveChannel(input.channel);
    const value = channel === 'sms' ? 'sms' : channel.id;
    await d.store.setSetting('alerts', value, d.clock.now());
    res.json({ channel: value });
  });

  router.get('/alerts', async (_req, res) => {
    res.json({ channel: (await d.store.setting('alerts')) ?? 'sms' });
  });

  router.get('/notifications', async (req, res) => {
    const q = parseInput(listQuery, req.query);
    res.json({ notifications: (await d.store.list(q)).map(notificationJson) });
  });
}
