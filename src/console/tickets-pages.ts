import { Router } from 'express';
import { z } from 'zod';
import { can } from '../domain/console-roles';
import { parseInput } from '../validation';
import type { ConsoleDeps } from './console-deps';
import { html } from './html';
import { t } from './i18n';
import { csrfField, label, localTime, page, shownNumber } from './layout';
import { formBody, localInstant, nameOf } from './page-kit';
import { requirePermission, viewerOf, type Viewer } from './session';
import { ApiBridge } from './api-bridge';
import { dueCell, ticketPage } from './ticket-page';
import { TICKET_KINDS, TICKET_STATUSES, ticketsOfApi, type TicketJson } from './ticket-json';
import { timeLeftText } from './time-left';

const blank = (v: unknown) => (v === '' ? undefined : v);
const listQuery = z.object({
  kind: z.preprocess(blank, z.enum(TICKET_KINDS, { message: `must be one of ${TICKET_KINDS.join(', ')}` }).optional()),
  status: z.preprocess(blank, z.enum(TICKET_STATUSES, { message: `must be one of ${TICKET_STATUSES.join(', ')}` }).optional()),
  owner: z.preprocess(blank, z.string().uuid('must be an agent id').optional()),
  late: z.preprocess(blank, z.enum(['1', 'true'], { message: 'must be 1 when given' }).optional()),
});
const createForm = z.object({
  kind: z.enum(TICKET_KINDS, { message: `kind: must be one of ${TICKET_KINDS.join(', ')}` }),
  callId: z.preprocess(blank, z.string().uuid('callId: must be a call id').optional()),
  phone: z.preprocess(blank, z.string().trim().max(40).optional()),
  ownerAgentId: z.preprocess(blank, z.string().uuid('ownerAgentId: choose an agent').optional()),
  assigneeName: z.preprocess(blank, z.string().trim().max(200).optional()),
  assigneeMobile: z.preprocess(blank, z.string().trim().max(40).optional()),
  dueDate: z.preprocess(blank, z.string().optional()),
  dueTime: z.preprocess(blank, z.string().optional()),
  summary: z.string({ message: 'summary: is required' }).trim().min(1, 'summary: is required').max(2000),
});

/** The form that opens a ticket: from the list (a phone typed) or from a call's page (the call named). */
export function openTicketForm(v: Viewer, roster: readonly { id: string; name: string; active: boolean }[], o: { callId?: string; ownerAgentId?: string | null } = {}) {
  const l = v.lang;
  return html`<details class="card" data-open-ticket><summary>${t(l, 'openTicket')}</summary><form method="post" action="/console/tickets" class="stack" data-action="open-ticket">${csrfField(v)}
    ${o.callId ? html`<input type="hidden" name="callId" value="${o.callId}">` : html`<label>${t(l, 'caller')}<input name="phone" inputmode="tel" maxlength="40"></label>`}
    <label>${t(l, 'ticketKind')}<select name="kind">${TICKET_KINDS.map((k) => html`<option value="${k}">${label(l, 'ticketKind', k)}</option>`)}</select></label>
    <label>${t(l, 'ticketSummary')}<textarea name="summary" rows="2" required maxlength="2000"></textarea></label>
    <label>${t(l, 'owner')}<select name="ownerAgentId"><option value="">—</option>${roster.filter((a) => a.active).map((a) => html`<option value="${a.id}" ${a.id === o.ownerAgentId ? html`selected` : ''}>${a.name}</option>`)}</select></label>
    <label>${t(l, 'assignee')}<input name="assigneeName" maxlength="200" placeholder="${t(l, 'assigneeHelp')}"></label>
    <label>${t(l, 'assigneeMobile')}<input name="assigneeMobile" inputmode="tel" maxlength="40" placeholder="+8613800000000"></label>
    <label>${t(l, 'dueAtField')}<input type="date" name="dueDate"></label><label><input type="time" name="dueTime" aria-label="${t(l, 'dueAtField')}"></label>
    <button type="submit">${t(l, 'openTicket')}</button></form></details>`;
}

/**
 * Tickets (工单, issue 26): the list with its filters (kind, status, owner, late), late ones first
 * then by due time; the weekly follow-up list of open dispatches; opening a ticket. Reads and
 * writes go through the tickets API in-process (ApiBridge), so its rules and audit are the same.
 */
export function ticketsPages(d: ConsoleDeps, api: ApiBridge): Router {
  const r = Router();
  const tz = d.timeZone;

  r.get('/tickets', async (req, res) => {
    const v = viewerOf(res);
    const l = v.lang;
    const q = parseInput(listQuery, req.query);
    const params = new URLSearchParams(Object.entries({ kind: q.kind, status: q.status, owner: q.owner, late: q.late ? 'true' : undefined }).filter((e): e is [string, string] => e[1] !== undefined));
    const tickets = await ticketsOfApi(api, req, res, v, `/tickets${params.size ? `?${params}` : ''}`);
    const now = d.c.clock.now();
    tickets.sort((a, b) => Number(b.late) - Number(a.late) || (a.dueAt ? Date.parse(a.dueAt) : Infinity) - (b.dueAt ? Date.parse(b.dueAt) : Infinity));
    const roster = await d.c.agents.list({ includeInactive: true });
    const name = nameOf(roster);
    const opt = (value: string, text: string, current: unknown) => html`<option value="${value}" ${String(current ?? '') === value ? html`selected` : ''}>${text}</option>`;
    const notice = req.query.opened ? t(l, 'ticketOpened') : undefined;
    res.type('html').send(
      page(v, { title: t(l, 'tickets'), active: 'tickets', notice }, html`
        <p class="tabs"><a href="/console/tickets" class="on">${t(l, 'allTickets')}</a><a href="/console/tickets/dispatches" data-view="dispatches">${t(l, 'dispatches')}</a></p>
        <form class="filters card" method="get" action="/console/tickets" data-filters>
          <label>${t(l, 'ticketKind')}<select name="kind">${opt('', t(l, 'any'), q.kind)}${TICKET_KINDS.map((k) => opt(k, label(l, 'ticketKind', k), q.kind))}</select></label>
          <label>${t(l, 'status')}<select name="status">${opt('', t(l, 'any'), q.status)}${TICKET_STATUSES.map((s) => opt(s, label(l, 'ticketStatus', s), q.status))}</select></label>
          <label>${t(l, 'owner')}<select name="owner">${opt('', t(l, 'any'), q.owner)}${roster.map((a) => opt(a.id, a.name, q.owner))}</select></label>
          <label class="check"><span>${t(l, 'ticketLateOnly')}</span><input type="checkbox" name="late" value="1" ${q.late ? html`checked` : ''}></label>
          <button type="submit">${t(l, 'filter')}</button></form>
        ${tickets.length === 0
          ? html`<p class="muted">${t(l, 'noTickets')}</p>`
          : html`<div class="scroll"><table class="cards"><thead><tr><th>${t(l, 'ticketKind')}</th><th>${t(l, 'ticketSummary')}</th><th>${t(l, 'caller')}</th><th>${t(l, 'owner')}</th>
              <th>${t(l, 'assignee')}</th><th>${t(l, 'due')}</th><th>${t(l, 'status')}</th></tr></thead><tbody>${tickets.map(
                (x) => html`<tr data-ticket="${x.id}" data-kind="${x.kind}" data-status="${x.status}" ${x.late ? html`data-late` : ''}>
                  <td data-label="${t(l, 'ticketKind')}">${label(l, 'ticketKind', x.kind)}</td>
                  <td data-label="${t(l, 'ticketSummary')}" class="wrap"><a href="/console/tickets/${x.id}">${x.summary || label(l, 'ticketKind', x.kind)}</a></td>
                  <td data-label="${t(l, 'caller')}">${x.phone ? shownNumber(v, x.phone) : '—'}</td>
                  <td data-label="${t(l, 'owner')}" data-owner>${name(x.ownerAgentId)}</td>
                  <td data-label="${t(l, 'assignee')}">${x.assignee ?? '—'}</td>
                  <td data-label="${t(l, 'due')}" data-due>${dueCell(l, tz, x, now)}</td>
                  <td data-label="${t(l, 'status')}">${label(l, 'ticketStatus', x.status)}</td></tr>`,
              )}</tbody></table></div>`}
        ${can(v.account.role, 'change') ? openTicketForm(v, roster) : ''}`),
    );
  });

  r.get('/tickets/dispatches', async (req, res) => {
    const v = viewerOf(res);
    const l = v.lang;
    const all = await ticketsOfApi(api, req, res, v, '/tickets?kind=dispatch');
    const open = all.filter((x) => !x.closedAt);
    const now = d.c.clock.now();
    const next = (x: TicketJson) => (x.nextFollowUpAt ? Date.parse(x.nextFollowUpAt) : Infinity);
    open.sort((a, b) => next(a) - next(b));
    const name = nameOf(await d.c.agents.list({ includeInactive: true }));
    res.type('html').send(
      page(v, { title: t(l, 'dispatches'), active: 'tickets' }, html`
        <p class="tabs"><a href="/console/tickets">${t(l, 'allTickets')}</a><a href="/console/tickets/dispatches" class="on" data-view="dispatches">${t(l, 'dispatches')}</a></p>
        <p class="muted">${t(l, 'dispatchesHelp')}</p>
        ${open.length === 0
          ? html`<p class="muted">${t(l, 'noDispatches')}</p>`
          : html`<div class="scroll"><table class="cards"><thead><tr><th>${t(l, 'ticketSummary')}</th><th>${t(l, 'assignee')}</th><th>${t(l, 'owner')}</th>
              <th>${t(l, 'lastFollowUp')}</th><th>${t(l, 'nextFollowUp')}</th><th>${t(l, 'status')}</th></tr></thead><tbody>${open.map((x) => {
                const due = x.nextFollowUpAt ? new Date(x.nextFollowUpAt) : null;
                const left = due ? timeLeftText(l, due, now) : null;
                return html`<tr data-dispatch="${x.id}">
                  <td data-label="${t(l, 'ticketSummary')}" class="wrap"><a href="/console/tickets/${x.id}">${x.summary || label(l, 'ticketKind', x.kind)}</a></td>
                  <td data-label="${t(l, 'assignee')}">${x.assignee ?? '—'}</td><td data-label="${t(l, 'owner')}">${name(x.ownerAgentId)}</td>
                  <td data-label="${t(l, 'lastFollowUp')}" data-last-follow-up>${x.lastFollowUpAt ? localTime(new Date(x.lastFollowUpAt), tz, 'MM-dd HH:mm') : '—'}</td>
                  <td data-label="${t(l, 'nextFollowUp')}" data-next-follow-up>${due && left
                    ? html`${localTime(due, tz, 'MM-dd HH:mm')} <span class="${left.late ? 'bad' : 'muted'}" data-time-left data-countdown="${due.toISOString()}" data-now="${now.toISOString()}">${left.text}</span>`
                    : '—'}</td>
                  <td data-label="${t(l, 'status')}">${label(l, 'ticketStatus', x.status)}</td></tr>`;
              })}</tbody></table></div>`}`),
    );
  });

  r.post('/tickets', requirePermission('change'), formBody, async (req, res) => {
    const v = viewerOf(res);
    const b = parseInput(createForm, req.body);
    const dueAt = b.dueDate ? localInstant(b.dueDate, b.dueTime, tz, 'dueAt').toISOString() : undefined;
    const body = Object.fromEntries(
      Object.entries({
        kind: b.kind,
        callId: b.callId,
        phone: b.phone,
        ownerAgentId: b.ownerAgentId,
        // A dispatch's assignee, outside the hotline team: reached by SMS at the mobile given.
        assignee: b.assigneeName || b.assigneeMobile ? { name: b.assigneeName ?? '', ...(b.assigneeMobile ? { mobile: b.assigneeMobile } : {}) } : undefined,
        dueAt,
        summary: b.summary,
      }).filter(([, x]) => x !== undefined),
    );
    const answer = await api.run(req, res, v, 'POST', '/tickets', body);
    const id = (answer.body as { id?: string } | null)?.id;
    res.redirect(303, id ? `/console/tickets/${id}?opened=1` : '/console/tickets?opened=1');
  });

  return r;
}

/** The tickets' console pages, through one bridge to the tickets API. */
export function ticketConsolePages(d: ConsoleDeps): Router {
  const api = new ApiBridge(d.c);
  const r = Router();
  r.use(ticketsPages(d, api));
  r.use(ticketPage(d, api));
  return r;
}
