import express, { Router } from 'express';
import { DateTime } from 'luxon';
import { z } from 'zod';
import { parseNotesUpdate } from '../api/notes-input';
import { CALL_TYPES } from '../domain/call-notes';
import { NotFoundError } from '../errors';
import { parseInput } from '../validation';
import type { ConsoleDeps } from './console-deps';
import { html } from './html';
import { t } from './i18n';
import { csrfField, label, localTime, page, secondsText, shownNumber } from './layout';
import { requirePermission, viewerOf } from './session';

const blank = (v: unknown) => (v === '' ? undefined : v);
const day = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'must be YYYY-MM-DD').refine((s) => DateTime.fromISO(s).isValid, 'must be a real date');
const listQuery = z.object({
  agent: z.preprocess(blank, z.string().uuid('must be an agent id').optional()),
  from: z.preprocess(blank, day.optional()),
  to: z.preprocess(blank, day.optional()),
});
const callId = z.object({ id: z.string().uuid('must be a call id') });
const writeUp = z.object({
  type: z.enum(CALL_TYPES, { message: `choose a type (${CALL_TYPES.join(', ')})` }),
  summary: z.string().trim().max(2000, 'must be at most 2000 characters').optional(),
});
const LIMIT = 200;

/**
 * Unfinished notes (R5: a night call is written up later): answered calls nobody has typed yet,
 * newest first, each written up in place (a type and a summary) or on the call's own page.
 * The same list as GET /api/calls/unfinished-notes.
 */
export function notesPages(d: ConsoleDeps): Router {
  const r = Router();
  const tz = d.timeZone;
  const form = express.urlencoded({ extended: false, limit: '20kb' });

  r.get('/notes', async (req, res) => {
    const v = viewerOf(res);
    const l = v.lang;
    const q = parseInput(listQuery, req.query);
    const day = (s: string | undefined, plus: number) => (s ? DateTime.fromISO(s, { zone: tz }).plus({ days: plus }).toJSDate() : undefined);
    const rows = await d.c.calls.listCalls({ outcome: 'answered', type: 'none', agentId: q.agent, from: day(q.from, 0), to: day(q.to, 1), limit: LIMIT + 1 });
    const calls = rows.slice(0, LIMIT);
    const roster = await d.c.agents.list({ includeInactive: true });
    const names = new Map(roster.map((a) => [a.id, a.name]));
    const canChange = v.account.role !== 'viewer';
    const opt = (value: string, text: string, current: unknown) => html`<option value="${value}" ${String(current ?? '') === value ? html`selected` : ''}>${text}</option>`;
    res.type('html').send(
      page(v, { title: t(l, 'unfinishedNotes'), active: 'unfinishedNotes', notice: req.query.done ? t(l, 'saved') : undefined }, html`
        <form class="filters card" method="get" action="/console/notes">
          <label>${t(l, 'agent')}<select name="agent">${opt('', t(l, 'any'), q.agent)}${roster.map((a) => opt(a.id, a.name, q.agent))}</select></label>
          <label>${t(l, 'from')}<input type="date" name="from" value="${q.from ?? ''}"></label>
          <label>${t(l, 'to')}<input type="date" name="to" value="${q.to ?? ''}"></label>
          <button type="submit">${t(l, 'filter')}</button></form>
        <p class="muted" data-count="${calls.length}">${t(l, 'unfinishedCount', { n: rows.length > LIMIT ? `${LIMIT}+` : calls.length })}</p>
        ${calls.length === 0
          ? html`<p class="muted">${t(l, 'noUnfinishedNotes')}</p>`
          : html`<div class="scroll"><table class="cards"><thead><tr><th>${t(l, 'arrived')}</th><th>${t(l, 'caller')}</th><th>${t(l, 'agent')}</th><th>${t(l, 'talk')}</th>${canChange ? html`<th></th>` : ''}</tr></thead><tbody>
            ${calls.map(
              (c) => html`<tr data-call="${c.id}"><td data-label="${t(l, 'arrived')}"><a href="/console/calls/${c.id}">${localTime(c.startedAt, tz, 'MM-dd HH:mm')}</a></td>
                <td data-label="${t(l, 'caller')}">${shownNumber(v, c.from)}</td><td data-label="${t(l, 'agent')}">${names.get(c.answeredByAgentId ?? '') ?? ''}</td>
                <td data-label="${t(l, 'talk')}">${secondsText(c.talkSeconds)}</td>
                ${canChange
                  ? html`<td class="actions"><form class="inline" method="post" action="/console/notes/${c.id}">${csrfField(v)}
                      <select name="type" required aria-label="${t(l, 'type')}"><option value="">${t(l, 'type')}…</option>${CALL_TYPES.map((x) => html`<option value="${x}">${label(l, 'type', x)}</option>`)}</select>
                      <input name="summary" maxlength="2000" placeholder="${t(l, 'summary')}" aria-label="${t(l, 'summary')}"><button type="submit">${t(l, 'save')}</button></form></td>`
                  : ''}</tr>`,
            )}</tbody></table></div>
`}`),
    );
  });

  r.post('/notes/:id', requirePermission('change'), form, async (req, res) => {
    const v = viewerOf(res);
    const { id } = parseInput(callId, req.params);
    const input = parseInput(writeUp, req.body);
    const update = parseNotesUpdate({ type: input.type, ...(input.summary ? { summary: input.summary } : {}) });
    const now = d.c.clock.now();
    const result = await d.notes.update(id, update, v.actor, now);
    if (!result) throw new NotFoundError(`no call ${id}`);
    await d.audit.record({ actor: v.actor, action: 'call.notes', target: id, detail: { fields: Object.keys(update) }, at: now });
    res.redirect(303, '/console/notes?done=1');
  });

  return r;
}
