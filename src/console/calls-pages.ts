import express, { Router } from 'express';
import { DateTime } from 'luxon';
import { z } from 'zod';
import { parseNotesUpdate } from '../api/notes-input';
import { CALL_TYPES } from '../domain/call-notes';
import { callListFilters, callsJson, encodeCursor } from '../routing/calls-routes';
import { NotFoundError } from '../errors';
import { parseInput } from '../validation';
import { can } from '../domain/console-roles';
import { recordingSection } from '../recordings/recording-section';
import type { ConsoleDeps } from './console-deps';
import { html } from './html';
import { t } from './i18n';
import { csrfField, label, localTime, page, secondsText, shownNumber } from './layout';
import { requirePermission, viewerOf, type Viewer } from './session';
import { openTicketsSection } from './ticket-sections';
import { openTicketForm } from './tickets-pages';

type CallJson = Awaited<ReturnType<typeof callsJson>>[number];

const blankIsUndefined = (v: unknown) => (v === '' ? undefined : v);
const localDate = z.preprocess(blankIsUndefined, z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'must be a date (YYYY-MM-DD)').optional());
const filtersSchema = z.object({
  from: localDate,
  to: localDate,
  outcome: z.preprocess(blankIsUndefined, z.enum(['answered', 'missed', 'abandoned'], { message: 'must be answered, missed or abandoned' }).optional()),
  agent: z.preprocess(blankIsUndefined, z.string().uuid('must be an agent id').optional()),
  type: z.preprocess(blankIsUndefined, z.enum([...CALL_TYPES, 'none'], { message: `must be one of ${CALL_TYPES.join(', ')}, or none` }).optional()),
  rating: z.preprocess(blankIsUndefined, z.coerce.number().int().min(1, 'must be 1 to 5').max(5, 'must be 1 to 5').optional()),
  caller: z.preprocess(blankIsUndefined, z.string().trim().max(200).optional()),
  cursor: z.preprocess(blankIsUndefined, z.string().max(200).optional()),
});
const callId = z.object({ id: z.string().uuid('must be a call id') });
const PAGE = 50;

const callRow = (v: Viewer, c: CallJson, names: Map<string, string>, tz: string) =>
  html`<tr data-call="${c.id}"><td><a href="/console/calls/${c.id}">${localTime(new Date(c.startedAt!), tz)}</a></td><td>${shownNumber(v, c.from)}</td>
    <td>${c.outcome ? label(v.lang, 'outcome', c.outcome) : t(v.lang, c.state === 'connected' ? 'state_talking' : 'state_hunting')}</td>
    <td>${names.get(c.answeredByAgentId ?? '') ?? ''}</td><td>${secondsText(c.waitSeconds)}</td><td>${secondsText(c.talkSeconds)}</td>
    <td>${c.type ? label(v.lang, 'type', c.type) : ''}</td><td>${c.rating ? html`${c.rating} <span class="muted" data-rated-at>${localTime(new Date(c.ratedAt!), tz, 'HH:mm')}</span>` : ''}</td></tr>`;

export function callsTable(v: Viewer, calls: CallJson[], names: Map<string, string>, tz: string) {
  const l = v.lang;
  return html`<div class="scroll"><table><thead><tr><th>${t(l, 'arrived')}</th><th>${t(l, 'caller')}</th><th>${t(l, 'outcome')}</th><th>${t(l, 'agent')}</th>
    <th>${t(l, 'wait')}</th><th>${t(l, 'talk')}</th><th>${t(l, 'type')}</th><th>${t(l, 'rating')}</th></tr></thead>
    <tbody>${calls.map((c) => callRow(v, c, names, tz))}</tbody></table></div>`;
}

/** The call log with the API's filters, and one call: its timeline, notes and their history, the customer file. */
export function callsPages(d: ConsoleDeps): Router {
  const r = Router();
  const tz = d.timeZone;
  const agentNames = async () => new Map((await d.c.agents.list({ includeInactive: true })).map((a) => [a.id, a.name]));

  r.get('/calls', async (req, res) => {
    const v = viewerOf(res);
    const l = v.lang;
    const q = parseInput(filtersSchema, req.query);
    const day = (s: string | undefined, plus: number) => (s ? DateTime.fromISO(s, { zone: tz }).plus({ days: plus }).toJSDate() : undefined);
    const rows = await d.c.calls.listCalls({ from: day(q.from, 0), to: day(q.to, 1), limit: PAGE + 1, ...callListFilters(q) });
    const items = rows.slice(0, PAGE);
    const calls = await callsJson(d.c.calls, items);
    const roster = await d.c.agents.list({ includeInactive: true });
    const names = new Map(roster.map((a) => [a.id, a.name]));
    const next = rows.length > PAGE ? new URLSearchParams({ ...Object.fromEntries(Object.entries(req.query).map(([k, x]) => [k, String(x)])), cursor: encodeCursor(items[items.length - 1]!) }) : null;
    const opt = (value: string, text: string, current: unknown) => html`<option value="${value}" ${String(current ?? '') === value ? html`selected` : ''}>${text}</option>`;
    res.type('html').send(
      page(v, { title: t(l, 'calls'), active: 'calls' }, html`<form class="filters card" method="get" action="/console/calls">
        <label>${t(l, 'from')}<input type="date" name="from" value="${q.from ?? ''}"></label>
        <label>${t(l, 'to')}<input type="date" name="to" value="${q.to ?? ''}"></label>
        <label>${t(l, 'outcome')}<select name="outcome">${opt('', t(l, 'any'), q.outcome)}${['answered', 'missed', 'abandoned'].map((o) => opt(o, label(l, 'outcome', o), q.outcome))}</select></label>
        <label>${t(l, 'agent')}<select name="agent">${opt('', t(l, 'any'), q.agent)}${roster.map((a) => opt(a.id, a.name, q.agent))}</select></label>
        <label>${t(l, 'type')}<select name="type">${opt('', t(l, 'any'), q.type)}${[...CALL_TYPES, 'none'].map((x) => opt(x, label(l, 'type', x), q.type))}</select></label>
        <label>${t(l, 'rating')}<select name="rating">${opt('', t(l, 'any'), q.rating)}${[1, 2, 3, 4, 5].map((x) => opt(String(x), String(x), q.rating))}</select></label>
        <label>${t(l, 'caller')}<input name="caller" value="${q.caller ?? ''}" inputmode="tel"></label>
        <button type="submit">${t(l, 'filter')}</button></form>
        ${callsTable(v, calls, names, tz)}
        ${next ? html`<p><a href="/console/calls?${next.toString()}" rel="next">${t(l, 'next')}</a></p>` : ''}`),
    );
  });

  r.get('/calls/:id', async (req, res) => {
    const v = viewerOf(res);
    const l = v.lang;
    const { id } = parseInput(callId, req.params);
    const call = await d.c.calls.getCall(id);
    if (!call) throw new NotFoundError(`no call ${id}`);
    const [c] = await callsJson(d.c.calls, [call]);
    const names = await agentNames();
    const history = await d.notes.history(id);
    const customer = call.customerId ? await d.customers.getById(call.customerId) : null;
    const earlier = customer ? (await callsJson(d.c.calls, await d.c.calls.listCalls({ callerNumber: customer.phone, limit: 20 }))).filter((x) => x.id !== id) : [];
    const canChange = can(v.account.role, 'change');
    const recordings = await recordingSection(d.c, v, id);
    const roster = await d.c.agents.list({ includeInactive: true });
    // The caller's open tickets, and (admin, supervisor) a ticket opened from this call.
    const tickets = html`${await openTicketsSection(d, v, call.from)}${canChange && d.c.features.some((f) => f.name === 'tickets') ? openTicketForm(v, roster, { callId: id, ownerAgentId: call.answeredByAgentId }) : ''}`;
    const at = (s: string | null) => (s ? localTime(new Date(s), tz) : '');
    const timeline = [
      html`<li><b>${at(c!.startedAt)}</b> ${t(l, 'ev_arrived')} · ${shownNumber(v, c!.from)} → ${c!.to}</li>`,
      ...c!.attempts.map(
        (a) => html`<li><b>${at(a.ringingAt ?? a.offeredAt)}</b> ${t(l, 'ev_rang', { agent: names.get(a.agentId) ?? a.agentId })} · ${t(l, 'ev_ringFor', {
          s: a.ringSeconds === null ? '—' : Math.round(a.ringSeconds),
          outcome: a.outcome ? label(l, 'attempt', a.outcome) : '…',
        })}</li>`,
      ),
      c!.acceptedAt ? html`<li><b>${at(c!.acceptedAt)}</b> ${t(l, 'ev_accepted', { agent: names.get(c!.answeredByAgentId ?? '') ?? '', s: Math.round(c!.waitSeconds ?? 0) })}</li>` : '',
      c!.endedAt
        ? c!.outcome === 'answered'
          ? html`<li><b>${at(c!.endedAt)}</b> ${t(l, 'ev_ended', { by: label(l, 'endedBy', c!.endedBy), s: Math.round(c!.talkSeconds ?? 0) })}</li>`
          : html`<li><b>${at(c!.endedAt)}</b> ${t(l, 'ev_endedUnanswered', { outcome: `${label(l, 'outcome', c!.outcome)}${c!.missedReason ? ` (${c!.missedReason})` : ''}` })}</li>`
        : '',
      c!.rating ? html`<li data-rated-at><b>${at(c!.ratedAt)}</b> ${t(l, 'ev_rated', { score: c!.rating })}</li>` : '',
    ];
    const typeOptions = ['', ...CALL_TYPES].map((x) => html`<option value="${x}" ${(c!.type ?? '') === x ? html`selected` : ''}>${x ? label(l, 'type', x) : t(l, 'type_none')}</option>`);
    res.type('html').send(
      page(v, { title: `${t(l, 'calls')} · ${shownNumber(v, c!.from)}`, active: 'calls', notice: req.query.done ? t(l, 'saved') : undefined }, html`
        <section class="card"><h2>${t(l, 'timeline')}</h2><ol class="timeline">${timeline}</ol></section>
        ${recordings}
        <section class="card"><h2>${t(l, 'notes')}</h2>
          ${canChange
            ? html`<form method="post" action="/console/calls/${id}/notes" class="stack">${csrfField(v)}
              <label>${t(l, 'type')}<select name="type">${typeOptions}</select></label>
              <label>${t(l, 'callerName')}<input name="callerName" maxlength="100" value="${c!.callerName ?? ''}"></label>
              <label>${t(l, 'summary')}<textarea name="summary" rows="4" maxlength="2000">${c!.summary ?? ''}</textarea></label>
              <button type="submit">${t(l, 'save')}</button></form>`
            : html`<p>${t(l, 'type')}: ${c!.type ? label(l, 'type', c!.type) : t(l, 'type_none')}</p><p>${t(l, 'callerName')}: ${c!.callerName ?? ''}</p><p class="wrap">${c!.summary ?? ''}</p>`}
          <h2>${t(l, 'notesHistory')}</h2>
          <div class="scroll"><table><tbody>${history.map(
            (h) => html`<tr><td>${localTime(h.changedAt, tz)}</td><td>${h.changedBy}</td><td>${label(l, 'field', h.field)}</td><td class="wrap">${h.oldValue ?? ''} → ${h.newValue ?? ''}</td></tr>`,
          )}</tbody></table></div></section>
        ${tickets}
        ${customer
          ? html`<section class="card"><h2>${t(l, 'customerFile')}</h2><p>${customer.name ?? customer.nameSuggestion ?? '—'} · ${shownNumber(v, customer.phone)}</p>
              <p class="wrap">${customer.notes ?? ''}</p><h2>${t(l, 'earlierCalls')}</h2>${earlier.length ? callsTable(v, earlier, names, tz) : html`<p class="muted">${t(l, 'none')}</p>`}</section>`
          : ''}`),
    );
  });

  r.post('/calls/:id/notes', requirePermission('change'), express.urlencoded({ extended: false, limit: '20kb' }), async (req, res) => {
    const v = viewerOf(res);
    const { id } = parseInput(callId, req.params);
    const { _csrf: _ignored, ...fields } = req.body as Record<string, string>;
    // A form always sends every field; only those that differ are changes (and audited as such).
    const call = await d.c.calls.getCall(id);
    if (!call) throw new NotFoundError(`no call ${id}`);
    const current: Record<string, string> = { type: call.type ?? '', summary: call.summary ?? '', callerName: call.notedCallerName ?? '' };
    const changed = Object.fromEntries(Object.entries(fields).filter(([k, x]) => !(k in current) || current[k] !== String(x).trim()));
    if (Object.keys(changed).length > 0) {
      const update = parseNotesUpdate(Object.fromEntries(Object.entries(changed).map(([k, x]) => [k, x === '' ? null : x])));
      await d.notes.update(id, update, v.actor, d.c.clock.now());
      await d.audit.record({ actor: v.actor, action: 'call.notes', target: id, detail: { fields: Object.keys(update) }, at: d.c.clock.now() });
    }
    res.redirect(303, `/console/calls/${id}?done=1`);
  });

  return r;
}
