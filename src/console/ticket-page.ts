import { Router } from 'express';
import { z } from 'zod';
import { can } from '../domain/console-roles';
import { parseInput } from '../validation';
import { actorName } from './actor-name';
import type { ApiBridge } from './api-bridge';
import type { ConsoleDeps } from './console-deps';
import { html } from './html';
import { t, type Lang } from './i18n';
import { csrfField, label, localTime, page, shownNumber } from './layout';
import { formBody, idParam, nameOf } from './page-kit';
import { requirePermission, viewerOf } from './session';
import { FAULT_CLASSES, PROGRESS_CHANNELS, ticketOfApi, type TicketJson } from './ticket-json';
import { timeLeftText } from './time-left';

const CHANNELS = PROGRESS_CHANNELS;
const blank = (v: unknown) => (v === '' ? undefined : v);
// The API checks these again; here so that a bad form is named before anything is sent.
const progressForm = z.object({
  note: z.string({ message: 'note: is required' }).trim().min(1, 'note: is required').max(2000),
  channel: z.enum(CHANNELS, { message: `channel: must be one of ${CHANNELS.join(', ')}` }),
});
const closeForm = z.object({
  resolution: z.string({ message: 'resolution: is required' }).trim().min(1, 'resolution: is required').max(2000),
  faultClass: z.preprocess(blank, z.enum(FAULT_CLASSES, { message: 'faultClass: must be company or not-company' }).optional()),
});

/** A ticket's clock as the callbacks page shows one: the due time, the time left (counting down in place), late flagged. */
export function dueCell(l: Lang, tz: string, x: TicketJson, now: Date) {
  if (!x.dueAt) return html`—`;
  const due = new Date(x.dueAt);
  const open = !x.closedAt;
  const left = timeLeftText(l, due, now);
  return html`${localTime(due, tz, 'MM-dd HH:mm')} ${x.late ? html`<span class="pill late" data-late>${t(l, 'ticketLate')}</span>` : ''}${
    open ? html` <span class="${left.late ? 'bad' : 'muted'}" data-time-left data-countdown="${due.toISOString()}" data-now="${now.toISOString()}">${left.text}</span>` : ''
  }`;
}

/**
 * One ticket: what was promised, to whom, by when; who owns it and who does the work; its history
 * of who did what; the calls it is about; and (admin, supervisor) a progress note and the close,
 * with a fault class for a complaint. The forms go through the tickets API (its rules, its audit).
 */
export function ticketPage(d: ConsoleDeps, api: ApiBridge): Router {
  const r = Router();
  const tz = d.timeZone;

  r.get('/tickets/:id', async (req, res) => {
    const v = viewerOf(res);
    const l = v.lang;
    const { id } = parseInput(idParam, req.params);
    const x = await ticketOfApi(api, req, res, v, id);
    const now = d.c.clock.now();
    const name = nameOf(await d.c.agents.list({ includeInactive: true }));
    const people = await d.accounts.displayNames();
    const canChange = can(v.account.role, 'change') && x.status !== 'closed';
    const notice = req.query.progress ? t(l, 'progressAdded') : req.query.closed ? t(l, 'ticketClosed') : req.query.opened ? t(l, 'ticketOpened') : req.query.dialled ? t(l, 'ticketDialled') : undefined;
    const at = (s: string | null) => (s ? localTime(new Date(s), tz, 'MM-dd HH:mm') : '—');
    // An agent acting from their phone page is `agent:<id>`: named as the roster names them.
    const who = (by: string | null) => (by?.startsWith('agent:') ? name(by.slice('agent:'.length)) : actorName(l, by, people));
    res.type('html').send(
      page(v, { title: `${t(l, 'ticket')} · ${label(l, 'ticketKind', x.kind)}`, active: 'tickets', notice }, html`
        <section class="card" data-ticket="${x.id}" data-status="${x.status}" data-kind="${x.kind}">
          <p class="wrap" data-summary><b>${x.summary || label(l, 'ticketKind', x.kind)}</b></p>
          <dl class="parts">
            <dt>${t(l, 'ticketKind')}</dt><dd>${label(l, 'ticketKind', x.kind)}</dd>
            <dt>${t(l, 'status')}</dt><dd data-status-text>${label(l, 'ticketStatus', x.status)}</dd>
            <dt>${t(l, 'caller')}</dt><dd>${x.phone ? shownNumber(v, x.phone) : '—'}</dd>
            <dt>${t(l, 'owner')}</dt><dd data-owner>${name(x.ownerAgentId)}</dd>
            <dt>${t(l, 'assignee')}</dt><dd>${x.assignee ?? '—'}</dd>
            <dt>${t(l, 'openedAt')}</dt><dd>${at(x.openedAt)}</dd>
            <dt>${t(l, 'due')}</dt><dd data-due>${dueCell(l, tz, x, now)}</dd>
            ${x.kind === 'dispatch' && x.status !== 'closed' ? html`<dt>${t(l, 'nextFollowUp')}</dt><dd>${at(x.nextFollowUpAt)}</dd>` : ''}
            ${x.status === 'closed'
              ? html`<dt>${t(l, 'resolution')}</dt><dd class="wrap" data-resolution>${x.resolution ?? ''} <span class="muted">(${who(x.closedBy)}, ${at(x.closedAt)})</span></dd>
                  ${x.faultClass ? html`<dt>${t(l, 'faultClass')}</dt><dd data-fault-class="${x.faultClass}">${label(l, 'faultClass', x.faultClass)}</dd>` : ''}`
              : ''}
            <dt>${t(l, 'ticketCalls')}</dt><dd data-calls>${x.callIds.length ? x.callIds.map((c, i) => html`${i ? ' · ' : ''}<a href="/console/calls/${c}" data-call-link>#${i + 1}</a>`) : '—'}</dd>
          </dl></section>
        <section class="card"><h2>${t(l, 'ticketHistory')}</h2>
          ${x.events.length === 0
            ? html`<p class="muted">${t(l, 'none')}</p>`
            : html`<ol class="timeline">${x.events.map(
                (e) => html`<li data-event="${e.event}"><b>${localTime(new Date(e.at), tz, 'MM-dd HH:mm')}</b> ${t(l, `history_${e.event}`).replace(/^history_/, '')}${
                  e.channel ? html` · ${t(l, `channel_${e.channel}`).replace(/^channel_/, '')}` : ''
                } · <span data-by>${who(e.by)}</span>${e.note ? html`: <span class="wrap">${e.note}</span>` : ''}</li>`,
              )}</ol>`}
        </section>
        ${canChange
          ? html`<section class="card"><form method="post" action="/console/tickets/${x.id}/progress" class="stack" data-action="progress">${csrfField(v)}
                <label>${t(l, 'ticketNote')}<textarea name="note" rows="2" required maxlength="2000"></textarea></label>
                <label>${t(l, 'channel')}<select name="channel">${CHANNELS.map((c) => html`<option value="${c}">${t(l, `channel_${c}`).replace(/^channel_/, '')}</option>`)}</select></label>
                <button type="submit">${t(l, 'addProgress')}</button></form>
              ${(x.kind === 'follow-up' || x.kind === 'return-visit') && x.ownerAgentId && x.phone
                ? html`<form method="post" action="/console/tickets/${x.id}/dial" class="stack" data-action="dial">${csrfField(v)}<p class="muted">${t(l, 'ticketDialHelp')}</p>
                    <button type="submit" class="secondary">${t(l, 'ticketDial')}</button></form>`
                : ''}
              <details><summary>${t(l, 'closeTicket')}</summary><form method="post" action="/console/tickets/${x.id}/close" class="stack" data-action="close">${csrfField(v)}
                <label>${t(l, 'resolution')}<textarea name="resolution" rows="2" required maxlength="2000"></textarea></label>
                ${x.kind === 'complaint'
                  ? html`<label>${t(l, 'faultClass')}<select name="faultClass" required><option value="">—</option>${FAULT_CLASSES.map((f) => html`<option value="${f}">${label(l, 'faultClass', f)}</option>`)}</select></label>`
                  : ''}
                <button type="submit" class="secondary">${t(l, 'closeTicket')}</button></form></details></section>`
          : ''}`),
    );
  });

  r.post('/tickets/:id/progress', requirePermission('change'), formBody, async (req, res) => {
    const { id } = parseInput(idParam, req.params);
    const b = parseInput(progressForm, req.body);
    await api.run(req, res, viewerOf(res), 'POST', `/tickets/${id}/progress`, b);
    res.redirect(303, `/console/tickets/${id}?progress=1`);
  });

  r.post('/tickets/:id/dial', requirePermission('change'), formBody, async (req, res) => {
    const { id } = parseInput(idParam, req.params);
    await api.run(req, res, viewerOf(res), 'POST', `/tickets/${id}/dial`);
    res.redirect(303, `/console/tickets/${id}?dialled=1`);
  });

  r.post('/tickets/:id/close', requirePermission('change'), formBody, async (req, res) => {
    const { id } = parseInput(idParam, req.params);
    const b = parseInput(closeForm, req.body);
    await api.run(req, res, viewerOf(res), 'POST', `/tickets/${id}/close`, { resolution: b.resolution, ...(b.faultClass ? { faultClass: b.faultClass } : {}) });
    res.redirect(303, `/console/tickets/${id}?closed=1`);
  });

  return r;
}
