import express, { Router } from 'express';
import { z } from 'zod';
import type { ComplaintFeature } from '../complaints/complaint-feature';
import { complaintIsLate } from '../domain/complaints';
import { ConflictError, NotFoundError } from '../errors';
import type { ComplaintCase } from '../postgres/complaint-store';
import { parseInput } from '../validation';
import { actorName } from './actor-name';
import type { ConsoleDeps } from './console-deps';
import { html } from './html';
import { t } from './i18n';
import { csrfField, localTime, page, shownNumber } from './layout';
import { requirePermission, viewerOf, type Viewer } from './session';
import { timeLeftText } from './time-left';

const idParam = z.object({ id: z.string().uuid('must be a complaint id') });
const viewQuery = z.object({ view: z.enum(['open', 'closed'], { message: 'must be open or closed' }).optional() });
// The same rules as the API's (POST /api/complaints/:id/progress and /close).
const progressBody = z.object({
  note: z.string({ message: 'is required' }).trim().min(3, 'must say what the customer was told (at least 3 characters)').max(2000),
  channel: z.enum(['call', 'sms'], { message: 'must be call or sms' }),
});
const closeBody = z.object({ resolution: z.string({ message: 'is required' }).trim().min(3, 'must say how it was resolved (at least 3 characters)').max(2000) });

function complaintsOf(d: ConsoleDeps): ComplaintFeature {
  const f = d.c.features.find((x) => x.name === 'complaints') as ComplaintFeature | undefined;
  if (!f) throw new NotFoundError('complaint cases are not enabled on this server');
  return f;
}

/**
 * Complaint cases (R11): the open ones with their reply clock counting down (late ones first,
 * then by deadline), a progress reply recorded (what the customer was told, by call or SMS),
 * closing with a resolution; the closed ones with how they were resolved.
 */
export function complaintsPages(d: ConsoleDeps): Router {
  const r = Router();
  const tz = d.timeZone;
  const form = express.urlencoded({ extended: false, limit: '10kb' });

  r.get('/complaints', async (req, res) => {
    const v = viewerOf(res);
    const l = v.lang;
    const { view } = parseInput(viewQuery, req.query);
    const closed = view === 'closed';
    const f = complaintsOf(d);
    const now = d.c.clock.now();
    const cases = closed ? await f.store.list({ status: 'closed' }) : [...(await f.store.list({ status: 'open' })), ...(await f.store.list({ status: 'replied' }))];
    if (!closed) cases.sort((a, b) => Number(complaintIsLate(b, now)) - Number(complaintIsLate(a, now)) || a.replyDueAt.getTime() - b.replyDueAt.getTime());
    const [roster, people] = await Promise.all([d.c.agents.list({ includeInactive: true }), d.accounts.displayNames()]);
    const names = new Map(roster.map((a) => [a.id, a.name]));
    const notice = req.query.replied ? t(l, 'progressSaved') : req.query.closed ? t(l, 'complaintClosed') : undefined;
    const tabs = html`<p class="tabs"><a href="/console/complaints" class="${closed ? '' : 'on'}" data-view="open">${t(l, 'complaintsOpen')}</a>
      <a href="/console/complaints?view=closed" class="${closed ? 'on' : ''}" data-view="closed">${t(l, 'complaintsClosed')}</a></p>
      <p class="muted">${t(l, 'complaintRule', { minutes: d.c.config.COMPLAINT_REPLY_MINUTES })}</p>`;
    res.type('html').send(
      page(v, { title: t(l, 'complaints'), active: 'complaints', notice }, html`${tabs}${
        cases.length === 0 ? html`<p class="muted">${t(l, closed ? 'noClosedComplaints' : 'noComplaints')}</p>` : html`<div class="cases">${cases.map((c) => caseCard(v, c, now, names, people, tz))}</div>`
      }`),
    );
  });

  r.post('/complaints/:id/progress', requirePermission('change'), form, async (req, res) => {
    const v = viewerOf(res);
    const { id } = parseInput(idParam, req.params);
    const b = parseInput(progressBody, req.body);
    const f = complaintsOf(d);
    const now = d.c.clock.now();
    if (!(await f.store.get(id))) throw new NotFoundError(`no complaint ${id}`);
    if (!(await f.store.addProgress(id, { note: b.note, channel: b.channel, by: v.actor, at: now }))) throw new ConflictError('the complaint is closed');
    await d.audit.record({ actor: v.actor, action: 'complaint.progress', target: id, detail: { channel: b.channel }, at: now });
    res.redirect(303, `/console/complaints?replied=1#case-${id}`);
  });

  r.post('/complaints/:id/close', requirePermission('change'), form, async (req, res) => {
    const v = viewerOf(res);
    const { id } = parseInput(idParam, req.params);
    const { resolution } = parseInput(closeBody, req.body);
    const f = complaintsOf(d);
    const now = d.c.clock.now();
    if (!(await f.store.get(id))) throw new NotFoundError(`no complaint ${id}`);
    if (!(await f.store.close(id, resolution, v.actor, now))) throw new ConflictError('the complaint is already closed');
    await d.audit.record({ actor: v.actor, action: 'complaint.close', target: id, at: now });
    res.redirect(303, '/console/complaints?closed=1');
  });

  return r;
}

/** One case: who complained and how often, the owner, the reply clock, the replies so far, and what can be done next. */
function caseCard(v: Viewer, c: ComplaintCase, now: Date, names: Map<string, string>, people: ReadonlyMap<string, string>, tz: string) {
  const l = v.lang;
  const late = complaintIsLate(c, now);
  const left = timeLeftText(l, c.replyDueAt, now);
  const canChange = v.account.role !== 'viewer' && c.status !== 'closed';
  const clock = c.repliedAt
    ? html`<span class="pill talking" data-replied>${t(l, 'repliedAt', { at: localTime(c.repliedAt, tz, 'MM-dd HH:mm') })}</span>${late ? html` <span class="pill late">${t(l, 'late')}</span>` : ''}`
    : c.status === 'closed'
      ? ''
      : html`<span class="${left.late ? 'bad' : ''}" data-reply-clock data-countdown="${c.replyDueAt.toISOString()}" data-now="${now.toISOString()}">${left.text}</span>${late ? html` <span class="pill late">${t(l, 'late')}</span>` : ''}`;
  return html`<section class="card" id="case-${c.id}" data-complaint="${c.id}" data-status="${c.status}">
    <h2>${shownNumber(v, c.phone)} ${c.weight > 1 ? html`<span class="pill late" data-repeat>${t(l, 'repeatComplaint', { n: c.callIds.length })}</span>` : ''}</h2>
    <dl class="parts">
      <dt>${t(l, 'owner')}</dt><dd>${names.get(c.ownerAgentId ?? '') ?? '—'}</dd>
      <dt>${t(l, 'openedAt')}</dt><dd>${localTime(c.openedAt, tz, 'MM-dd HH:mm')}</dd>
      <dt>${t(l, 'replyDue')}</dt><dd>${localTime(c.replyDueAt, tz, 'MM-dd HH:mm')} ${clock}</dd>
      <dt>${t(l, 'calls')}</dt><dd>${c.callIds.map((id, i) => html`${i ? ' · ' : ''}<a href="/console/calls/${id}">#${i + 1}</a>`)}</dd>
      ${c.status === 'closed'
        ? html`<dt>${t(l, 'resolution')}</dt><dd class="wrap" data-resolution>${c.resolution ?? ''} <span class="muted">(${actorName(l, c.closedBy, people)}, ${localTime(c.closedAt, tz, 'MM-dd HH:mm')})</span></dd>`
        : ''}
    </dl>
    ${c.progress.length
      ? html`<h3>${t(l, 'progressReplies')}</h3><ol class="timeline">${c.progress.map(
          (p) => html`<li data-progress><b>${localTime(p.at, tz, 'MM-dd HH:mm')}</b> ${t(l, `channel_${p.channel}`)} · ${actorName(l, p.by, people)}: <span class="wrap">${p.note}</span></li>`,
        )}</ol>`
      : ''}
    ${canChange
      ? html`<form method="post" action="/console/complaints/${c.id}/progress" class="stack" data-action="progress">${csrfField(v)}
          <label>${t(l, 'progressNote')}<textarea name="note" rows="2" required minlength="3" maxlength="2000"></textarea></label>
          <label>${t(l, 'channel')}<select name="channel"><option value="call">${t(l, 'channel_call')}</option><option value="sms">${t(l, 'channel_sms')}</option></select></label>
          <button type="submit">${t(l, 'recordProgress')}</button></form>
        <details><summary>${t(l, 'closeComplaint')}</summary><form method="post" action="/console/complaints/${c.id}/close" class="stack" data-action="close">${csrfField(v)}
          <label>${t(l, 'resolution')}<textarea name="resolution" rows="2" required minlength="3" maxlength="2000"></textarea></label>
          <button type="submit" class="secondary">${t(l, 'closeComplaint')}</button></form></details>`
      : ''}
  </section>`;
}
