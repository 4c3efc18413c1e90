import { Router, type RequestHandler, type Response } from 'express';
import { z } from 'zod';
import type { ApiBridge } from '../console/api-bridge';
import type { ConsoleDeps } from '../console/console-deps';
import { html } from '../console/html';
import { t } from '../console/i18n';
import { csrfField, localTime, page, shownNumber } from '../console/layout';
import { formBody, idParam, nameOf } from '../console/page-kit';
import { viewerOf } from '../console/session';
import { ForbiddenError } from '../errors';
import { CHANNEL_KINDS, PostgresNotifyStore, type NotificationStatus } from '../postgres/notify-store';
import { parseInput } from '../validation';

const STATUSES: readonly NotificationStatus[] = ['queued', 'sent', 'failed'];
/** Notices to a ticket's assignee (someone outside the team); every other notice with no agent is an admins' alert. */
const TO_ASSIGNEE = new Set(['ticket-dispatch', 'ticket-chase']);
/** How many deliveries the page lists, newest first. */
const LOG_ROWS = 100;
const blank = (s: unknown) => (typeof s === 'string' && s.trim() !== '' ? s.trim() : undefined);
const channelForm = z.object({ kind: z.enum(CHANNEL_KINDS as ['wecom-robot', 'dingtalk-robot', 'wecom-app'], { message: 'must be wecom-robot, dingtalk-robot or wecom-app' }) }).passthrough();
const choiceForm = z.object({ channel: z.string({ message: 'choose sms or a channel' }) });
const agentForm = choiceForm.extend({ mobile: z.string().optional(), userId: z.string().optional() });
const logQuery = z.object({ status: z.enum(['', ...STATUSES] as ['', 'queued', 'sent', 'failed'], { message: 'must be queued, sent or failed' }).optional() });

/** Which fields each kind asks for (the API names the one left out); the secret ones are typed unseen. */
const FIELDS: Record<(typeof CHANNEL_KINDS)[number], readonly { name: string; label: string; secret: boolean }[]> = {
  'wecom-robot': [{ name: 'key', label: 'notifyKey', secret: true }],
  'dingtalk-robot': [
    { name: 'accessToken', label: 'notifyAccessToken', secret: true },
    { name: 'secret', label: 'notifySecret', secret: true },
  ],
  'wecom-app': [
    { name: 'corpId', label: 'notifyCorpId', secret: false },
    { name: 'corpSecret', label: 'notifyCorpSecret', secret: true },
    { name: 'agentId', label: 'notifyAppAgentId', secret: false },
  ],
};

/** Channels hold other services' secrets and decide where every notice goes: admins only, reading included. */
const adminOnly: RequestHandler = (_req, res, next) => {
  const role = viewerOf(res).account.role;
  next(role === 'admin' ? undefined : new ForbiddenError(`your role (${role}) may not see or change the notice channels; an admin may`));
};

/**
 * /console/notify: the WeCom and DingTalk channels (listed without their secrets, added, deleted),
 * the channel of the admins' alerts, each agent's channel, and the recent delivery log with its
 * statuses and error codes. Every change goes through the notify API (src/notify/notify-routes.ts),
 * so its checks and 400s are the page's.
 */
export function notifyPages(d: ConsoleDeps, api: ApiBridge): Router {
  const r = Router();
  const store = new PostgresNotifyStore(d.c.db);
  const back = (res: Response, anchor: string) => res.redirect(303, `/console/notify?done=1#${anchor}`);

  r.get('/notify', adminOnly, async (req, res) => {
    const v = viewerOf(res);
    const l = v.lang;
    const { status } = parseInput(logQuery, req.query);
    const [channels, alerts, agents, prefs, log] = await Promise.all([
      store.listChannels(),
      store.setting('alerts'),
      d.c.agents.list({ includeInactive: false }),
      store.agentPrefs(),
      store.list({ limit: LOG_ROWS, ...(status ? { status } : {}) }),
    ]);
    const byId = new Map(channels.map((c) => [c.id, c]));
    const channelName = (id: string | null | undefined) => (!id || id === 'sms' ? t(l, 'channel_sms') : (byId.get(id)?.name ?? t(l, 'notifyDeleted')));
    const who = nameOf(await d.c.agents.list({ includeInactive: true }));
    const options = (selected: string) => [
      html`<option value="sms" ${selected === 'sms' || !byId.has(selected) ? html`selected` : ''}>${t(l, 'channel_sms')}</option>`,
      ...channels.map((c) => html`<option value="${c.id}" ${c.id === selected ? html`selected` : ''}>${c.name} (${t(l, `notifyKind_${c.kind}`)})</option>`),
    ];
    res.type('html').send(
      page(v, { title: t(l, 'notify'), active: 'notify', notice: req.query.done ? t(l, 'saved') : undefined }, html`
        <p class="muted">${t(l, 'notifyHelp')}</p>
        <section class="card" id="channels"><h2>${t(l, 'notifyChannels')}</h2>
          ${channels.length === 0 ? html`<p class="muted" data-empty>${t(l, 'none')}</p>` : ''}
          <ul class="rows">${channels.map(
            (c) => html`<li data-channel="${c.id}"><div><b>${c.name}</b> · ${t(l, `notifyKind_${c.kind}`)} · ${localTime(c.createdAt, d.timeZone, 'yyyy-MM-dd HH:mm')}</div>
              <form class="inline" method="post" action="/console/notify/channels/${c.id}/delete">${csrfField(v)}<button type="submit" class="secondary" data-action="delete">${t(l, 'remove')}</button></form></li>`,
          )}</ul></section>
        <section class="card" id="add"><h2>${t(l, 'notifyAdd')}</h2>
          ${CHANNEL_KINDS.map(
            (kind) => html`<details data-kind="${kind}"><summary>${t(l, `notifyKind_${kind}`)}</summary>
              <form method="post" action="/console/notify/channels" class="stack">${csrfField(v)}<input type="hidden" name="kind" value="${kind}">
                <label>${t(l, 'name')}<input name="name" required maxlength="100"></label>
                ${FIELDS[kind].map((f) => html`<label>${t(l, f.label)}<input name="${f.name}" required maxlength="500" autocomplete="off" ${f.secret ? html`type="password"` : ''}></label>`)}
                <button type="submit" data-action="add">${t(l, 'add')}</button></form></details>`,
          )}</section>
        <section class="card" id="alerts"><h2>${t(l, 'notifyAlerts')}</h2><p class="muted">${t(l, 'notifyAlertsHelp')}</p>
          <form class="inline" method="post" action="/console/notify/alerts">${csrfField(v)}
            <select name="channel" aria-label="${t(l, 'notifyAlerts')}">${options(alerts ?? 'sms')}</select><button type="submit" data-action="alerts">${t(l, 'save')}</button></form></section>
        <section class="card" id="agents"><h2>${t(l, 'notifyAgents')}</h2><p class="muted">${t(l, 'notifyAgentsHelp')}</p>
          <div class="scroll"><table class="cards"><thead><tr><th>${t(l, 'name')}</th><th>${t(l, 'phone')}</th><th>${t(l, 'notifyChannel')}</th><th></th></tr></thead><tbody>
          ${agents.map((a) => {
            const p = prefs.get(a.id);
            return html`<tr data-agent="${a.id}"><td data-label="${t(l, 'name')}">${a.name}</td><td data-label="${t(l, 'phone')}">${shownNumber(v, a.phone)}</td>
              <td data-label="${t(l, 'notifyChannel')}" data-current="${p && byId.has(p.channel) ? p.channel : 'sms'}">${channelName(p?.channel)}${p?.mobile ? html` · ${shownNumber(v, p.mobile)}` : ''}${p?.userId ? html` · ${p.userId}` : ''}</td>
              <td class="actions"><form class="inline" method="post" action="/console/notify/agents/${a.id}">${csrfField(v)}
                <select name="channel" aria-label="${t(l, 'notifyChannel')}">${options(p?.channel ?? 'sms')}</select>
                <input name="mobile" value="${p?.mobile ?? ''}" placeholder="${t(l, 'notifyMobile')}" aria-label="${t(l, 'notifyMobile')}" maxlength="16">
                <input name="userId" value="${p?.userId ?? ''}" placeholder="${t(l, 'notifyUserId')}" aria-label="${t(l, 'notifyUserId')}" maxlength="64">
                <button type="submit" data-action="agent">${t(l, 'save')}</button></form></td></tr>`;
          })}</tbody></table></div></section>
        <section class="card" id="log"><h2>${t(l, 'notifyLog')}</h2>
          <form class="inline filters" method="get" action="/console/notify#log"><select name="status" aria-label="${t(l, 'status')}">
            <option value="">${t(l, 'notifyAllStatuses')}</option>${STATUSES.map((s) => html`<option value="${s}" ${s === status ? html`selected` : ''}>${t(l, `notifyStatus_${s}`)}</option>`)}</select>
            <button type="submit" class="secondary" data-action="filter">${t(l, 'filter')}</button></form>
          ${log.length === 0 ? html`<p class="muted" data-empty>${t(l, 'none')}</p>` : ''}
          <div class="scroll"><table class="cards"><thead><tr><th>${t(l, 'time')}</th><th>${t(l, 'agent')}</th><th>${t(l, 'notifyChannel')}</th><th>${t(l, 'notifyKind')}</th><th>${t(l, 'status')}</th><th>${t(l, 'notifyAttempts')}</th><th>${t(l, 'notifyErrorCode')}</th></tr></thead><tbody>
          ${log.map(
            (n) => html`<tr data-notification="${n.id}" data-status="${n.status}" data-kind="${n.kind}"><td data-label="${t(l, 'time')}">${localTime(n.sentAt ?? n.createdAt, d.timeZone)}</td>
              <td data-label="${t(l, 'agent')}">${n.agentId ? who(n.agentId) : t(l, TO_ASSIGNEE.has(n.kind) ? 'notifyAssignee' : 'notifyAdmins')}</td><td data-label="${t(l, 'notifyChannel')}">${channelName(n.channel)}</td>
              <td data-label="${t(l, 'notifyKind')}">${n.kind}</td><td data-label="${t(l, 'status')}"><span class="pill ${n.status === 'failed' ? 'late' : n.status === 'queued' ? 'ringing' : 'talking'}">${t(l, `notifyStatus_${n.status}`)}</span></td>
              <td data-label="${t(l, 'notifyAttempts')}">${n.attempts}</td><td data-label="${t(l, 'notifyErrorCode')}" data-error-code="${n.errorCode ?? ''}">${n.errorCode ?? '—'}</td></tr>`,
          )}</tbody></table></div></section>`),
    );
  });

  r.post('/notify/channels', adminOnly, formBody, async (req, res) => {
    const { kind } = parseInput(channelForm, req.body);
    const body: Record<string, string> = { kind };
    for (const f of ['name', ...FIELDS[kind].map((x) => x.name)]) {
      const value = blank((req.body as Record<string, unknown>)[f]);
      if (value !== undefined) body[f] = value;
    }
    await api.run(req, res, viewerOf(res), 'POST', '/notify-channels', body);
    back(res, 'channels');
  });

  r.post('/notify/channels/:id/delete', adminOnly, async (req, res) => {
    const { id } = parseInput(idParam, req.params);
    await api.run(req, res, viewerOf(res), 'DELETE', `/notify-channels/${id}`);
    back(res, 'channels');
  });

  r.post('/notify/alerts', adminOnly, formBody, async (req, res) => {
    const { channel } = parseInput(choiceForm, req.body);
    await api.run(req, res, viewerOf(res), 'PUT', '/alerts', { channel });
    back(res, 'alerts');
  });

  r.post('/notify/agents/:id', adminOnly, formBody, async (req, res) => {
    const { id } = parseInput(idParam, req.params);
    const b = parseInput(agentForm, req.body);
    await api.run(req, res, viewerOf(res), 'PUT', `/agents/${id}/notify`, { channel: b.channel, mobile: blank(b.mobile) ?? null, userId: blank(b.userId) ?? null });
    back(res, 'agents');
  });

  return r;
}
