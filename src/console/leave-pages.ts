import { Router } from 'express';
import { DateTime } from 'luxon';
import { z } from 'zod';
import { leaveCollisions, type LeaveCollision } from '../domain/leave-conflicts';
import type { LeaveSpan } from '../domain/shifts';
import { AppError } from '../errors';
import { parseInput } from '../validation';
import type { ApiBridge } from './api-bridge';
import type { ConsoleDeps } from './console-deps';
import { html, type SafeHtml } from './html';
import { t } from './i18n';
import { csrfField, page } from './layout';
import { agentOptions, formBody, idParam, localInstant, nameOf } from './page-kit';
import { requirePermission, viewerOf, type Viewer } from './session';

const KINDS = ['annual', 'sick', 'personal'] as const;
const leaveBody = z.object({
  agentId: z.string({ message: 'choose an agent' }).uuid('choose an agent'),
  substituteAgentId: z.string({ message: 'choose a substitute' }).uuid('choose a substitute'),
  kind: z.enum(KINDS, { message: 'must be annual, sick or personal' }),
  startDate: z.string({ message: 'is required' }),
  startTime: z.string().default(''),
  endDate: z.string({ message: 'is required' }),
  endTime: z.string().default(''),
});
/** Leaves that ended longer ago than this are history: the audit log keeps them. */
const SHOWN_AFTER_END_DAYS = 7;

/** Leave with its substitute; each leave shows what it collides with, and a refused one says why by name. */
export function leavePages(d: ConsoleDeps, api: ApiBridge): Router {
  const r = Router();
  const tz = d.timeZone;
  // A blank end time is the end of that day: "12-01 to 12-03" is three days off.
  const endOf = (date: string, time: string) =>
    time ? localInstant(date, time, tz, 'end') : DateTime.fromJSDate(localInstant(date, '00:00', tz, 'end'), { zone: tz }).plus({ days: 1 }).toJSDate();
  const when = (x: Date) => DateTime.fromJSDate(x, { zone: tz }).toFormat('yyyy-MM-dd HH:mm');

  const render = async (v: Viewer, o: { notice?: string; refused?: { message: string; leave: Omit<LeaveSpan, 'id'> } }) => {
    const l = v.lang;
    const all = await d.c.agents.list({ includeInactive: true });
    const active = all.filter((a) => a.active);
    const name = nameOf(all);
    const leaves = await d.c.rosterStore.listLeaves();
    const cutoff = d.c.clock.now().getTime() - SHOWN_AFTER_END_DAYS * 24 * 3600_000;
    const shown = leaves.filter((x) => x.end.getTime() > cutoff).sort((a, b) => a.start.getTime() - b.start.getTime());
    const collision = (c: LeaveCollision): SafeHtml =>
      html`<li data-collision="${c.kind}">${t(l, `collide_${c.kind}`, { agent: name(c.with.agentId), substitute: name(c.with.substituteAgentId) })}: ${t(l, `leave_${c.with.kind}`)} ${when(c.with.start)} – ${when(c.with.end)}</li>`;
    const canChange = v.account.role !== 'viewer';
    const refused = o.refused;
    return page(v, { title: t(l, 'leave'), active: 'leave', notice: o.notice }, html`
      ${refused
        ? html`<div class="error" role="alert" data-status="409"><p>${t(l, 'leaveRefused')}: ${refused.message}</p>
            <ul>${leaveCollisions(refused.leave, leaves).map(collision)}</ul></div>`
        : ''}
      ${shown.length === 0 ? html`<p class="muted">${t(l, 'noLeave')}</p>` : ''}
      <ul class="rows">${shown.map((x) => {
        const collisions = leaveCollisions(x, leaves);
        return html`<li class="card ${collisions.length ? 'conflict' : ''}" data-leave="${x.id}"><div><b>${name(x.agentId)}</b> · ${t(l, `leave_${x.kind}`)} · ${when(x.start)} – ${when(x.end)}
          · ${t(l, 'substitute')}: <b>${name(x.substituteAgentId)}</b></div>
          ${collisions.length ? html`<p class="gap">${t(l, 'collidesWith')}</p><ul>${collisions.map(collision)}</ul>` : ''}
          ${canChange ? html`<form class="inline" method="post" action="/console/leave/${x.id}/delete">${csrfField(v)}<button type="submit" class="secondary">${t(l, 'remove')}</button></form>` : ''}</li>`;
      })}</ul>
      ${canChange
        ? html`<section class="card"><h2>${t(l, 'addLeave')}</h2><form method="post" action="/console/leave" class="stack">${csrfField(v)}
            <label>${t(l, 'agent')}<select name="agentId" required>${agentOptions(active, refused?.leave.agentId)}</select></label>
            <label>${t(l, 'leaveKind')}<select name="kind">${KINDS.map((k) => html`<option value="${k}" ${refused?.leave.kind === k ? html`selected` : ''}>${t(l, `leave_${k}`)}</option>`)}</select></label>
            <label>${t(l, 'startDate')}<input type="date" name="startDate" required></label>
            <label>${t(l, 'startTime')}<input type="time" name="startTime" value="00:00"></label>
            <label>${t(l, 'endDate')}<input type="date" name="endDate" required></label>
            <label>${t(l, 'endTime')}<input type="time" name="endTime"></label><p class="muted">${t(l, 'endOfDayHelp')}</p>
            <label>${t(l, 'substitute')}<select name="substituteAgentId" required>${agentOptions(active, refused?.leave.substituteAgentId)}</select></label>
            <button type="submit">${t(l, 'add')}</button></form></section>`
        : ''}`);
  };

  r.get('/leave', async (req, res) => {
    const v = viewerOf(res);
    res.type('html').send(await render(v, { notice: req.query.done ? t(v.lang, 'saved') : undefined }));
  });

  r.post('/leave', requirePermission('change'), formBody, async (req, res) => {
    const v = viewerOf(res);
    const b = parseInput(leaveBody, req.body);
    const leave = { agentId: b.agentId, substituteAgentId: b.substituteAgentId, kind: b.kind, start: localInstant(b.startDate, b.startTime, tz, 'start'), end: endOf(b.endDate, b.endTime) };
    try {
      await api.run(req, res, v, 'POST', '/leaves', { ...leave, start: leave.start.toISOString(), end: leave.end.toISOString() });
    } catch (err) {
      if (!(err instanceof AppError) || err.status !== 409) throw err;
      res.status(409).type('html').send(await render(v, { refused: { message: err.message, leave } }));
      return;
    }
    res.redirect(303, '/console/leave?done=1');
  });

  r.post('/leave/:id/delete', requirePermission('change'), formBody, async (req, res) => {
    const v = viewerOf(res);
    const { id } = parseInput(idParam, req.params);
    await api.run(req, res, v, 'DELETE', `/leaves/${id}`);
    res.redirect(303, '/console/leave?done=1');
  });

  return r;
}
