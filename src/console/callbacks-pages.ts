import express, { Router } from 'express';
import { mayListen } from '../domain/recording-rules';
import { DateTime } from 'luxon';
import { z } from 'zod';
import { NotFoundError } from '../errors';
import { OPEN_STATUSES } from '../domain/callback-rules';
import { maskPhone } from '../domain/endpoint';
import type { Callback } from '../postgres/callback-store';
import type { Fine } from '../postgres/fine-store';
import { parseInput } from '../validation';
import { callbacksOf, type ConsoleDeps } from './console-deps';
import { html } from './html';
import { t } from './i18n';
import { csrfField, label, localTime, page, secondsText, shownNumber } from './layout';
import { actorName } from './actor-name';
import { requirePermission, viewerOf } from './session';
import { timeLeftText } from './time-left';

const idParam = z.object({ id: z.string().uuid('must be an id') });
const handOverBody = z.object({ ownerAgentId: z.string({ message: 'choose an agent' }).uuid('choose an agent') });
const waiveBody = z.object({ reason: z.string({ message: 'is required' }).trim().min(3, 'must say why (at least 3 characters)').max(500) });
const viewQuery = z.object({ view: z.enum(['open', 'done'], { message: 'must be open or done' }).optional() });
const monthQuery = z.object({ month: z.preprocess((v) => (v === '' ? undefined : v), z.string().regex(/^\d{4}-(0[1-9]|1[0-2])$/, 'must be YYYY-MM').optional()) });

/** Open callbacks by deadline (late ones first), hand-over and placing; the month's fines and waivers. */
export function callbacksPages(d: ConsoleDeps): Router {
  const r = Router();
  const tz = d.timeZone;
  const form = express.urlencoded({ extended: false, limit: '10kb' });

  r.get('/callbacks', async (req, res) => {
    const v = viewerOf(res);
    const l = v.lang;
    const { view } = parseInput(viewQuery, req.query);
    const f = callbacksOf(d.c);
    const now = d.c.clock.now();
    const finished = view === 'done';
    const list = finished
      ? [...(await f.callbacks.list({ status: 'done', limit: 200 })), ...(await f.callbacks.list({ status: 'unreachable', limit: 200 }))]
      : [...(await f.callbacks.list({ status: 'open', limit: 500 })), ...(await f.callbacks.list({ status: 'attempted', limit: 500 }))];
    const attempts = await f.callbacks.attemptsOfMany(list.map((x) => x.id));
    // A finished callback's time: when it was done, else when its last attempt ended (unreachable).
    const finishedAt = (cb: Callback) => cb.doneAt ?? (attempts.get(cb.id) ?? []).reduce<Date | null>((m, a) => (a.finishedAt && (!m || a.finishedAt > m) ? a.finishedAt : m), null) ?? cb.dueAt;
    const isLate = (cb: Callback) => cb.lapsedAt !== null || (!finished && cb.dueAt < now);
    if (finished) list.sort((a, b) => finishedAt(b).getTime() - finishedAt(a).getTime());
    else list.sort((a, b) => Number(isLate(b)) - Number(isLate(a)) || a.dueAt.getTime() - b.dueAt.getTime());
    const roster = await d.c.agents.list({ includeInactive: true });
    const names = new Map(roster.map((a) => [a.id, a.name]));
    const canChange = v.account.role !== 'viewer' && !finished;
    const notice = req.query.handedOver ? t(l, 'handedOver', { agent: names.get(String(req.query.handedOver)) ?? '' }) : req.query.placed ? t(l, 'callbackPlaced') : undefined;
    const tabs = html`<p class="tabs"><a href="/console/callbacks" class="${finished ? '' : 'on'}" data-view="open">${t(l, 'callbacksPending')}</a>
      <a href="/console/callbacks?view=done" class="${finished ? 'on' : ''}" data-view="done">${t(l, 'callbacksFinished')}</a></p>`;
    const callCell = (cb: Callback) => {
      const first = cb.callIds[0];
      const when = localTime(cb.firstCallAt, tz, 'MM-dd HH:mm');
      return html`<td data-label="${t(l, 'calledAt')}" data-called-at>${first ? html`<a href="/console/calls/${first}">${when}</a>` : when}${cb.callIds.length > 1 ? html` <span class="muted">×${cb.callIds.length}</span>` : ''}</td>`;
    };
    const voice = (cb: Callback) =>
      // Heard on its call's page, through the product (R12): never a link to Twilio.
      cb.recording ? (cb.callIds.length > 0 && mayListen(v.account.role) ? html`<a href="/console/calls/${cb.callIds[cb.callIds.length - 1]}#recordings">${secondsText(cb.recording.seconds)}</a>` : secondsText(cb.recording.seconds)) : t(l, 'none');
    const openRow = (cb: Callback) => {
      const left = timeLeftText(l, cb.dueAt, now);
      return html`<tr data-callback="${cb.id}" id="cb-${cb.id}">${callCell(cb)}<td data-label="${t(l, 'due')}">${localTime(cb.dueAt, tz, 'MM-dd HH:mm')} ${isLate(cb) ? html`<span class="pill late">${t(l, 'late')}</span>` : ''}</td>
        <td data-label="${t(l, 'timeLeft')}" data-time-left data-countdown="${cb.dueAt.toISOString()}" data-now="${now.toISOString()}" class="${left.late ? 'bad' : ''}">${left.text}</td>
        <td data-label="${t(l, 'caller')}">${shownNumber(v, cb.phone)}</td><td data-label="${t(l, 'owner')}" data-owner>${names.get(cb.ownerAgentId ?? '') ?? '—'}</td>
        <td data-label="${t(l, 'attempts')}">${(attempts.get(cb.id) ?? []).length}</td><td data-label="${t(l, 'voiceMessage')}">${voice(cb)}</td>
        <td data-label="${t(l, 'status')}">${label(l, 'status', cb.status)}</td>
        ${canChange
          ? html`<td class="actions"><form class="inline" method="post" action="/console/callbacks/${cb.id}/hand-over">${csrfField(v)}
              <select name="ownerAgentId" aria-label="${t(l, 'owner')}">${roster.filter((a) => a.active).map((a) => html`<option value="${a.id}" ${a.id === cb.ownerAgentId ? html`selected` : ''}>${a.name}</option>`)}</select>
              <button type="submit" class="secondary">${t(l, 'handOver')}</button></form>
            <form class="inline" method="post" action="/console/callbacks/${cb.id}/dial">${csrfField(v)}<button type="submit">${t(l, 'placeCallback')}</button></form></td>`
          : ''}</tr>`;
    };
    const doneRow = (cb: Callback) =>
      html`<tr data-callback="${cb.id}" id="cb-${cb.id}" data-status="${cb.status}">${callCell(cb)}<td data-label="${t(l, 'caller')}">${shownNumber(v, cb.phone)}</td>
        <td data-label="${t(l, 'owner')}">${names.get(cb.ownerAgentId ?? '') ?? '—'}</td><td data-label="${t(l, 'status')}"><span class="pill ${cb.status === 'done' ? 'talking' : 'late'}">${label(l, 'status', cb.status)}</span></td>
        <td data-label="${t(l, 'finishedAt')}">${localTime(finishedAt(cb), tz, 'MM-dd HH:mm')}</td>
        <td data-label="${t(l, 'due')}">${localTime(cb.dueAt, tz, 'MM-dd HH:mm')} ${cb.lapsedAt ? html`<span class="pill late">${t(l, 'late')}</span>` : ''}</td>
        <td data-label="${t(l, 'attempts')}">${(attempts.get(cb.id) ?? []).length}</td><td data-label="${t(l, 'voiceMessage')}">${voice(cb)}</td></tr>`;
    const head = finished
      ? html`<th>${t(l, 'calledAt')}</th><th>${t(l, 'caller')}</th><th>${t(l, 'owner')}</th><th>${t(l, 'status')}</th><th>${t(l, 'finishedAt')}</th><th>${t(l, 'due')}</th><th>${t(l, 'attempts')}</th><th>${t(l, 'voiceMessage')}</th>`
      : html`<th>${t(l, 'calledAt')}</th><th>${t(l, 'due')}</th><th>${t(l, 'timeLeft')}</th><th>${t(l, 'caller')}</th><th>${t(l, 'owner')}</th><th>${t(l, 'attempts')}</th>
          <th>${t(l, 'voiceMessage')}</th><th>${t(l, 'status')}</th>${canChange ? html`<th></th>` : ''}`;
    res.type('html').send(
      page(v, { title: t(l, 'callbacks'), active: 'callbacks', notice }, html`${tabs}${list.length === 0
        ? html`<p class="muted">${t(l, finished ? 'noFinishedCallbacks' : 'noCallbacks')}</p>`
        : html`<div class="scroll"><table class="cards"><thead><tr>${head}</tr></thead><tbody>${list.map((cb) => (finished ? doneRow(cb) : openRow(cb)))}</tbody></table></div>`}`),
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
    const callbacks = new Map((await Promise.all([...new Set(fines.map((f) => f.callbackId))].map((id) => callbacksOf(d.c).callbacks.get(id)))).filter((x) => x !== null).map((x) => [x.id, x]));
    const names = new Map((await d.c.agents.list({ includeInactive: true })).map((a) => [a.id, a.name]));
    const people = await d.accounts.displayNames();
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
            <div class="scroll"><table class="cards"><thead><tr><th>${t(l, 'lapsedAt')}</th><th>${t(l, 'amount')}</th><th>${t(l, 'caller')}</th><th>${t(l, 'callback')}</th><th></th></tr></thead><tbody>
            ${fs.map((f) => {
              const cb = callbacks.get(f.callbackId);
              return html`<tr data-fine="${f.id}"><td data-label="${t(l, 'lapsedAt')}">${localTime(f.lapsedAt, tz)}</td><td data-label="${t(l, 'amount')}">${f.amount}</td>
              <td data-label="${t(l, 'caller')}" data-fine-caller>${cb ? maskPhone(cb.phone) : '—'}</td>
              <td data-label="${t(l, 'callback')}">${cb
                ? html`<a data-fine-callback href="/console/callbacks${OPEN_STATUSES.includes(cb.status) ? '' : '?view=done'}#cb-${cb.id}">${label(l, 'status', cb.status)}</a>${
                    cb.callIds[0] ? html` · <a data-fine-call href="/console/calls/${cb.callIds[0]}">${t(l, 'calledAt')} ${localTime(cb.firstCallAt, tz, 'MM-dd HH:mm')}</a>` : ''
                  }`
                : '—'}</td><td class="wrap actions">${
                f.waivedAt
                  ? html`<span data-waived-by="${f.waivedBy ?? ''}">${t(l, 'waivedBy', { by: actorName(l, f.waivedBy, people), at: localTime(f.waivedAt, tz), reason: f.waivedReason ?? '' })}</span>`
                  : canChange
                    ? html`<form class="inline" method="post" action="/console/fines/${f.id}/waive">${csrfField(v)}<input name="reason" required minlength="3" maxlength="500" placeholder="${t(l, 'reason')}" aria-label="${t(l, 'reason')}"><button type="submit">${t(l, 'waive')}</button></form>`
                    : ''
              }</td></tr>`;
            })}</tbody></table></div></section>`,
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
