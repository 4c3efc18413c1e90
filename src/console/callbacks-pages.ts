import express, { Router } from 'express';
import { DateTime } from 'luxon';
import { z } from 'zod';
import { NotFoundError } from '../errors';
import type { Fine } from '../postgres/fine-store';
import { parseInput } from '../validation';
import { callbacksOf, type ConsoleDeps } from './console-deps';
import { html } from './html';
import { t } from './i18n';
import { csrfField, label, localTime, page, secondsText, shownNumber } from './layout';
import { requirePermission, viewerOf } from './session';

const idParam = z.object({ id: z.string().uuid('must be an id') });
const handOverBody = z.object({ ownerAgentId: z.string({ message: 'choose an agent' }).uuid('choose an agent') });
const waiveBody = z.object({ reason: z.string({ message: 'is required' }).trim().min(3, 'must say why (at least 3 characters)').max(500) });
const monthQuery = z.object({ month: z.preprocess((v) => (v === '' ? undefined : v), z.string().regex(/^\d{4}-(0[1-9]|1[0-2])$/, 'must be YYYY-MM').optional()) });

/** Open callbacks by deadline (late ones first), hand-over and placing; the month's fines and waivers. */
export function callbacksPages(d: ConsoleDeps): Router {
  const r = Router();
  const tz = d.timeZone;
  const form = express.urlencoded({ extended: false, limit: '10kb' });

  r.get('/callbacks', async (req, res) => {
    const v = viewerOf(res);
    const l = v.lang;
    const f = callbacksOf(d.c);
    const now = d.c.clock.now();
    const list = [...(await f.callbacks.list({ status: 'open', limit: 500 })), ...(await f.callbacks.list({ status: 'attempted', limit: 500 }))];
    const isLate = (cb: (typeof list)[number]) => cb.lapsedAt !== null || cb.dueAt < now;
    list.sort((a, b) => Number(isLate(b)) - Number(isLate(a)) || a.dueAt.getTime() - b.dueAt.getTime());
    const attempts = await f.callbacks.attemptsOfMany(list.map((x) => x.id));
    const roster = await d.c.agents.list({ includeInactive: true });
    const names = new Map(roster.map((a) => [a.id, a.name]));
    const canChange = v.account.role !== 'viewer';
    const notice = req.query.handedOver ? t(l, 'handedOver', { agent: names.get(String(req.query.handedOver)) ?? '' }) : req.query.placed ? t(l, 'callbackPlaced') : undefined;
    res.type('html').send(
      page(v, { title: t(l, 'callbacks'), active: 'callbacks', notice }, list.length === 0
        ? html`<p class="muted">${t(l, 'noCallbacks')}</p>`
        : html`<div class="scroll"><table><thead><tr><th>${t(l, 'due')}</th><th>${t(l, 'caller')}</th><th>${t(l, 'owner')}</th><th>${t(l, 'attempts')}</th>
            <th>${t(l, 'voiceMessage')}</th><th>${t(l, 'status')}</th>${canChange ? html`<th></th>` : ''}</tr></thead><tbody>
          ${list.map(
            (cb) => html`<tr data-callback="${cb.id}"><td>${localTime(cb.dueAt, tz, 'MM-dd HH:mm')} ${isLate(cb) ? html`<span class="pill late">${t(l, 'late')}</span>` : ''}</td>
              <td>${shownNumber(v, cb.phone)}</td><td data-owner>${names.get(cb.ownerAgentId ?? '') ?? '—'}</td><td>${(attempts.get(cb.id) ?? []).length}</td>
              <td>${cb.recording ? (cb.recording.url && v.account.role !== 'viewer' ? html`<a href="${cb.recording.url}" rel="noreferrer">${secondsText(cb.recording.seconds)}</a>` : secondsText(cb.recording.seconds)) : t(l, 'none')}</td>
              <td>${label(l, 'status', cb.status)}</td>
              ${canChange
                ? html`<td><form class="inline" method="post" action="/console/callbacks/${cb.id}/hand-over">${csrfField(v)}
                    <select name="ownerAgentId" aria-label="${t(l, 'owner')}">${roster.filter((a) => a.active).map((a) => html`<option value="${a.id}" ${a.id === cb.ownerAgentId ? html`selected` : ''}>${a.name}</option>`)}</select>
                    <button type="submit" class="secondary">${t(l, 'handOver')}</button></form>
                  <form class="inline" method="post" action="/console/callbacks/${cb.id}/dial">${csrfField(v)}<button type="submit">${t(l, 'placeCallback')}</button></form></td>`
                : ''}</tr>`,
          )}</tbody></table></div>`),
    );
  });

  r.post('/callbacks/:id/hand-over', requirePermission('change'), form, async (req, res) => {
    const v = viewerOf(res);
    const { id } = parseInput(idParam, req.params);
    const { ownerAgentId } = parseInput(handOverBody, req.body);
    const before = await callbacksOf(d.c).callbacks.get(id);
    if (!before) throw new NotFoundError(`no callback ${id}`);
    await callbacksOf(d.c).service.reassign(id, ownerAgentId);
    await d.audit.record({ actor: v.actor, action: 'callback.hand-over', target: id, detail: { from: before.ownerAgentId, to: ownerAgentId }, at: d.c.clock.now() });
    res.redirect(303, `/console/callbacks?handedOver=${ownerAgentId}`);
  });

  r.post('/callbacks/:id/dial', requirePermission('change'), form, async (req, res) => {
    const v = viewerOf(res);
    const { id } = parseInput(idParam, req.params);
    const attempt = await callbacksOf(d.c).service.dial(id, 'console');
    await d.audit.record({ actor: v.actor, action: 'callback.dial', target: id, detail: { attempt: attempt.id }, at: d.c.clock.now() });
    res.redirect(303, '/console/callbacks?placed=1');
  });

  r.get('/fines', async (req, res) => {
    const v = viewerOf(res);
    const l = v.lang;
    const q = parseInput(monthQuery, req.query);
    const start = q.month ? DateTime.fromFormat(q.month, 'yyyy-MM', { zone: tz }) : DateTime.fromJSDate(d.c.clock.now(), { zone: tz }).startOf('month');
    const fines = await callbacksOf(d.c).fines.listLapsedBetween(start.toJSDate(), start.plus({ months: 1 }).toJSDate());
    const names = new Map((await d.c.agents.list({ includeInactive: true })).map((a) => [a.id, a.name]));
    const byAgent = new Map<string, Fine[]>();
    for (const f of fines) byAgent.set(f.agentId, [...(byAgent.get(f.agentId) ?? []), f]);
    const canChange = v.account.role !== 'viewer';
    const sum = (fs: Fine[], waived: boolean) => fs.filter((f) => (f.waivedAt !== null) === waived).reduce((s, f) => s + f.amount, 0);
    res.type('html').send(
      page(v, { title: `${t(l, 'fines')} · ${start.toFormat('yyyy-MM')}`, active: 'fines', notice: req.query.waived ? t(l, 'saved') : undefined }, html`
        <form class="filters card" method="get" action="/console/fines"><label>${t(l, 'month')}<input type="month" name="month" value="${start.toFormat('yyyy-MM')}"></label><button type="submit">${t(l, 'filter')}</button></form>
        ${byAgent.size === 0 ? html`<p class="muted">${t(l, 'noFines')}</p>` : ''}
        ${[...byAgent.entries()].map(
          ([agentId, fs]) => html`<section class="card" data-agent="${agentId}"><h2>${names.get(agentId) ?? agentId}</h2>
            <p>${t(l, 'lapses')}: <b>${fs.length}</b> · ${t(l, 'total')}: <b data-total>${sum(fs, false)}</b> · ${t(l, 'waivedTotal')}: <b>${sum(fs, true)}</b></p>
            <div class="scroll"><table><thead><tr><th>${t(l, 'lapsedAt')}</th><th>${t(l, 'amount')}</th><th></th></tr></thead><tbody>
            ${fs.map(
              (f) => html`<tr data-fine="${f.id}"><td>${localTime(f.lapsedAt, tz)}</td><td>${f.amount}</td><td class="wrap">${
                f.waivedAt
                  ? html`<span data-waived-by="${f.waivedBy ?? ''}">${t(l, 'waivedBy', { by: f.waivedBy ?? '—', at: localTime(f.waivedAt, tz), reason: f.waivedReason ?? '' })}</span>`
                  : canChange
                    ? html`<form class="inline" method="post" action="/console/fines/${f.id}/waive">${csrfField(v)}<input name="reason" required minlength="3" maxlength="500" placeholder="${t(l, 'reason')}" aria-label="${t(l, 'reason')}"><button type="submit">${t(l, 'waive')}</button></form>`
                    : ''
              }</td></tr>`,
            )}</tbody></table></div></section>`,
        )}`),
    );
  });

  r.post('/fines/:id/waive', requirePermission('change'), form, async (req, res) => {
    const v = viewerOf(res);
    const { id } = parseInput(idParam, req.params);
    const { reason } = parseInput(waiveBody, req.body);
    const fine = await callbacksOf(d.c).fines.waive(id, reason, d.c.clock.now(), v.actor);
    if (!fine) throw new NotFoundError(`no fine ${id}`);
    await d.audit.record({ actor: v.actor, action: 'fine.waive', target: id, detail: { reason, amount: fine.amount }, at: d.c.clock.now() });
    res.redirect(303, `/console/fines?month=${DateTime.fromJSDate(fine.lapsedAt, { zone: tz }).toFormat('yyyy-MM')}&waived=1`);
  });

  return r;
}
