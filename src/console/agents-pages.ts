import express, { Router } from 'express';
import { z } from 'zod';
import { ratio } from '../api/json';
import { parseEndpoint } from '../domain/endpoint';
import { NotFoundError } from '../errors';
import { parseInput } from '../validation';
import type { ConsoleDeps } from './console-deps';
import { html } from './html';
import { t } from './i18n';
import { csrfField, page, percent, secondsText, shownNumber } from './layout';
import { pauseText } from './pause-text';
import { requirePermission, viewerOf } from './session';

const WEEK_MS = 7 * 24 * 3600 * 1000;
const idParam = z.object({ id: z.string().uuid('must be an agent id') });
const endpoint = z
  .string({ message: 'is required' })
  .trim()
  .refine((x) => parseEndpoint(x) !== null, 'must be an E.164 number (+8613812345678) or a SIP URI (sip:user@host)');
const name = z.string({ message: 'is required' }).trim().min(1, 'must not be empty').max(100);
const position = z.preprocess((x) => (x === '' || x === undefined ? undefined : x), z.coerce.number().int('must be a whole number').min(0).max(1_000_000).optional());
const createBody = z.object({ name, phone: endpoint, position });
const editBody = z.object({ name, phone: endpoint, position });
const actionBody = z.object({ action: z.enum(['pause', 'resume', 'deactivate', 'activate'], { message: 'must be pause, resume, deactivate or activate' }), reason: z.string().trim().max(200).optional() });

/** The roster: add, edit, pause (with why) and resume, deactivate; rotation order; each agent's figures over 7 days. */
export function agentsPages(d: ConsoleDeps): Router {
  const r = Router();
  const form = express.urlencoded({ extended: false, limit: '10kb' });

  r.get('/agents', async (req, res) => {
    const v = viewerOf(res);
    const l = v.lang;
    const to = d.c.clock.now();
    const [roster, figures, pauses] = await Promise.all([
      d.c.agents.list({ includeInactive: true }),
      d.c.analytics.agentSummary(new Date(to.getTime() - WEEK_MS), to),
      d.audit.recent({ actionPrefix: 'agent.pause', limit: 200 }),
    ]);
    const canChange = v.account.role !== 'viewer';
    const fig = new Map(figures.map((f) => [f.agentId, f]));
    const state = (a: (typeof roster)[number]) => (!a.active ? 'inactive' : a.paused ? 'paused' : 'onDuty');
    res.type('html').send(
      page(v, { title: t(l, 'agents'), active: 'agents', notice: req.query.done ? t(l, 'saved') : undefined }, html`
        <p class="muted">${t(l, 'last7Days')}</p>
        <div class="scroll"><table class="cards"><thead><tr><th>${t(l, 'position')}</th><th>${t(l, 'name')}</th><th>${t(l, 'phone')}</th><th>${t(l, 'status')}</th>
          <th>${t(l, 'offers')}</th><th>${t(l, 'accepted')}</th><th>${t(l, 'acceptRate')}</th><th>${t(l, 'ringWhenAccepted')}</th>${canChange ? html`<th></th>` : ''}</tr></thead><tbody>
        ${roster.map((a) => {
          const f = fig.get(a.id);
          const why = pauseText(l, a, a.pausedReason === 'admin' ? (pauses.find((p) => p.target === a.id)?.detail?.reason as string | undefined) : null, d.timeZone);
          return html`<tr data-agent="${a.id}"><td data-label="${t(l, 'position')}">${a.position}</td><td data-label="${t(l, 'name')}">${a.name}</td><td data-label="${t(l, 'phone')}">${shownNumber(v, a.phone)}</td>
            <td data-label="${t(l, 'status')}"><span class="pill ${state(a)}">${t(l, `state_${state(a)}`)}</span>${why ? html` <span class="muted" data-pause-reason>${why}</span>` : ''}</td>
            <td data-label="${t(l, 'offers')}">${f?.offers ?? 0}</td><td data-label="${t(l, 'accepted')}">${f?.accepted ?? 0}</td><td data-label="${t(l, 'acceptRate')}">${percent(ratio(f?.accepted ?? 0, f?.offers ?? 0))}</td><td data-label="${t(l, 'ringWhenAccepted')}">${secondsText(f?.averageRingSecondsWhenAccepted)}</td>
            ${canChange
              ? html`<td class="actions"><details><summary>${t(l, 'edit')}</summary>
                  <form class="inline" method="post" action="/console/agents/${a.id}">${csrfField(v)}
                    <input name="name" value="${a.name}" aria-label="${t(l, 'name')}" required><input name="phone" value="${a.phone}" aria-label="${t(l, 'phone')}" required>
                    <input name="position" type="number" min="0" value="${a.position}" aria-label="${t(l, 'position')}" class="narrow"><button type="submit">${t(l, 'save')}</button></form></details>
                  ${a.active
                    ? a.paused
                      ? html`<form class="inline" method="post" action="/console/agents/${a.id}/state">${csrfField(v)}<input type="hidden" name="action" value="resume"><button type="submit" class="secondary">${t(l, 'resume')}</button></form>`
                      : html`<form class="inline" method="post" action="/console/agents/${a.id}/state">${csrfField(v)}<input type="hidden" name="action" value="pause"><input name="reason" placeholder="${t(l, 'pauseReason')}" aria-label="${t(l, 'pauseReason')}" maxlength="200"><button type="submit" class="secondary">${t(l, 'pause')}</button></form>`
                    : ''}
                  <form class="inline" method="post" action="/console/agents/${a.id}/state">${csrfField(v)}<input type="hidden" name="action" value="${a.active ? 'deactivate' : 'activate'}"><button type="submit" class="secondary">${t(l, a.active ? 'deactivate' : 'activate')}</button></form></td>`
              : ''}</tr>`;
        })}</tbody></table></div>
        ${canChange
          ? html`<section class="card"><h2>${t(l, 'addAgent')}</h2><form method="post" action="/console/agents" class="stack">${csrfField(v)}
              <label>${t(l, 'name')}<input name="name" required maxlength="100"></label>
              <label>${t(l, 'phone')}<input name="phone" required placeholder="+8613812345678 / sip:13812345678@trunk.example.cn"></label>
              <label>${t(l, 'position')}<input name="position" type="number" min="0"></label>
              <button type="submit">${t(l, 'add')}</button></form></section>`
          : ''}`),
    );
  });

  r.post('/agents', requirePermission('change'), form, async (req, res) => {
    const v = viewerOf(res);
    const input = parseInput(createBody, req.body);
    const agent = await d.c.agents.create({ name: input.name, phone: input.phone, ...(input.position !== undefined ? { position: input.position } : {}) });
    await d.audit.record({ actor: v.actor, action: 'agent.create', target: agent.id, detail: { name: agent.name }, at: d.c.clock.now() });
    res.redirect(303, '/console/agents?done=1');
  });

  r.post('/agents/:id', requirePermission('change'), form, async (req, res) => {
    const v = viewerOf(res);
    const { id } = parseInput(idParam, req.params);
    const input = parseInput(editBody, req.body);
    const agent = await d.c.agents.update(id, { name: input.name, phone: input.phone, ...(input.position !== undefined ? { position: input.position } : {}) });
    if (!agent) throw new NotFoundError(`no agent ${id}`);
    await d.audit.record({ actor: v.actor, action: 'agent.update', target: id, detail: { name: agent.name, position: agent.position }, at: d.c.clock.now() });
    res.redirect(303, '/console/agents?done=1');
  });

  r.post('/agents/:id/state', requirePermission('change'), form, async (req, res) => {
    const v = viewerOf(res);
    const { id } = parseInput(idParam, req.params);
    const { action, reason } = parseInput(actionBody, req.body);
    const changes = { pause: { paused: true }, resume: { paused: false }, deactivate: { active: false }, activate: { active: true } }[action];
    const agent = await d.c.agents.update(id, changes);
    if (!agent) throw new NotFoundError(`no agent ${id}`);
    // The pause's reason lives in the audit trail; Today and the roster show the latest one.
    await d.audit.record({ actor: v.actor, action: `agent.${action}`, target: id, detail: action === 'pause' ? { reason: reason || null } : null, at: d.c.clock.now() });
    res.redirect(303, '/console/agents?done=1');
  });

  return r;
}
