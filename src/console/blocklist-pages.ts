import { Router } from 'express';
import { DateTime } from 'luxon';
import { z } from 'zod';
import { ruleIsLive } from '../domain/caller-screening';
import type { PostgresProtectionStore } from '../postgres/protection-store';
import { NotFoundError } from '../errors';
import { parseInput } from '../validation';
import type { ApiBridge } from './api-bridge';
import type { ConsoleDeps } from './console-deps';
import { html } from './html';
import { t } from './i18n';
import { csrfField, page, shownNumber } from './layout';
import { formBody, idParam, localInstant, nameOf } from './page-kit';
import { requirePermission, viewerOf } from './session';

const REASONS = ['harassment', 'spam', 'other'] as const;
const optional = (s: unknown) => (typeof s === 'string' && s.trim() !== '' ? s.trim() : undefined);
const ruleBody = z.object({ pattern: z.string({ message: 'is required' }), reason: z.enum(REASONS, { message: 'must be harassment, spam or other' }), expiresOn: z.string().optional(), note: z.string().optional() });
const expireBody = z.object({ expiresOn: z.string({ message: 'is required' }).min(1, 'choose a date'), expiresAt: z.string().optional() });
const internalBody = z.object({ pattern: z.string({ message: 'is required' }), name: z.string().optional() });
const phoneBody = z.object({ phone: z.string({ message: 'is required' }) });

const protectionOf = (d: ConsoleDeps): PostgresProtectionStore => {
  const f = d.c.features.find((x) => x.name === 'protection') as { store?: PostgresProtectionStore } | undefined;
  if (!f?.store) throw new NotFoundError('caller protection is not enabled on this server');
  return f.store;
};

/** The blocklist (add, expire, remove), internal numbers, and agents' harassment reports waiting for a decision (R10). */
export function blocklistPages(d: ConsoleDeps, api: ApiBridge): Router {
  const r = Router();
  const tz = d.timeZone;
  const when = (x: Date | null) => (x ? DateTime.fromJSDate(x, { zone: tz }).toFormat('yyyy-MM-dd HH:mm') : '');
  const back = (res: { redirect(s: number, u: string): void }) => res.redirect(303, '/console/blocklist?done=1');

  r.get('/blocklist', async (req, res) => {
    const v = viewerOf(res);
    const l = v.lang;
    const store = protectionOf(d);
    const now = d.c.clock.now();
    const [rules, internal, reports, agents] = await Promise.all([store.listRules({ includeLifted: false }), store.listInternal(), store.listReports({ includeLifted: false }), d.c.agents.list({ includeInactive: true })]);
    const name = nameOf(agents);
    const live = rules.filter((x) => ruleIsLive(x, now));
    const byPhone = new Map<string, typeof reports>();
    for (const x of reports) byPhone.set(x.phone, [...(byPhone.get(x.phone) ?? []), x]);
    const canChange = v.account.role !== 'viewer';
    const post = (action: string, body: ReturnType<typeof html>, button: string, cls = 'secondary') =>
      canChange ? html`<form class="inline" method="post" action="${action}">${csrfField(v)}${body}<button type="submit" class="${cls}">${button}</button></form>` : '';
    res.type('html').send(
      page(v, { title: t(l, 'blocklist'), active: 'blocklist', notice: req.query.done ? t(l, 'saved') : undefined }, html`
        <section class="card" id="reports"><h2>${t(l, 'reportsWaiting')}</h2>
          ${byPhone.size === 0 ? html`<p class="muted">${t(l, 'none')}</p>` : ''}
          <ul class="rows">${[...byPhone.entries()].map(([phone, xs]) => {
            const blocked = live.some((x) => x.pattern === phone);
            return html`<li data-report="${shownNumber(v, phone)}"><div><b>${shownNumber(v, phone)}</b> · ${t(l, 'reportCount', { n: xs.length })} · ${xs.map((x) => `${name(x.agentId)} ${when(x.reportedAt)}`).join('；')}
              ${blocked ? html` <span class="pill late">${t(l, 'blocked')}</span>` : ''}</div>
              ${blocked ? '' : post('/console/blocklist/reports/block', html`<input type="hidden" name="phone" value="${phone}">`, t(l, 'block'), '')}
              ${post('/console/blocklist/reports/lift', html`<input type="hidden" name="phone" value="${phone}">`, t(l, 'liftReports'))}</li>`;
          })}</ul></section>
        <section class="card"><h2>${t(l, 'blockedNumbers')}</h2>
          ${rules.length === 0 ? html`<p class="muted">${t(l, 'none')}</p>` : ''}
          <ul class="rows">${rules.map(
            (x) => html`<li data-rule="${x.id}"><div><b>${shownNumber(v, x.pattern)}</b> · ${t(l, `blockReason_${x.reason}`)}${x.note ? ` · ${x.note}` : ''}
              · ${x.expiresAt ? t(l, ruleIsLive(x, now) ? 'expiresAt' : 'expiredAt', { at: when(x.expiresAt) }) : t(l, 'noExpiry')} · ${x.addedBy}</div>
              ${post(`/console/blocklist/${x.id}/expire`, html`<input type="date" name="expiresOn" required aria-label="${t(l, 'expiresOn')}"><input type="time" name="expiresAt" value="00:00" aria-label="${t(l, 'startTime')}">`, t(l, 'setExpiry'))}
              ${post(`/console/blocklist/${x.id}/remove`, html``, t(l, 'remove'))}</li>`,
          )}</ul>
          ${canChange
            ? html`<form method="post" action="/console/blocklist" class="stack">${csrfField(v)}
                <label>${t(l, 'numberOrPrefix')}<input name="pattern" required maxlength="32" placeholder="+8613800000000 / +86170* / anonymous"></label>
                <label>${t(l, 'reason')}<select name="reason">${REASONS.map((x) => html`<option value="${x}">${t(l, `blockReason_${x}`)}</option>`)}</select></label>
                <label>${t(l, 'expiresOn')}<input type="date" name="expiresOn"></label>
                <label>${t(l, 'note')}<input name="note" maxlength="500"></label>
                <button type="submit">${t(l, 'block')}</button></form>`
            : ''}</section>
        <section class="card"><h2>${t(l, 'internalNumbers')}</h2><p class="muted">${t(l, 'internalHelp')}</p>
          <ul class="rows">${internal.map(
            (x) => html`<li data-internal="${x.id}"><div><b>${shownNumber(v, x.pattern)}</b> ${x.name ?? ''}</div>${post(`/console/blocklist/internal/${x.id}/remove`, html``, t(l, 'remove'))}</li>`,
          )}${agents.filter((a) => a.active).map((a) => html`<li class="muted">${shownNumber(v, a.phone)} · ${a.name} (${t(l, 'agent')})</li>`)}</ul>
          ${canChange
            ? html`<form method="post" action="/console/blocklist/internal" class="stack">${csrfField(v)}
                <label>${t(l, 'numberOrPrefix')}<input name="pattern" required maxlength="32" placeholder="+862100000000 / +8621555*"></label>
                <label>${t(l, 'name')}<input name="name" maxlength="100"></label><button type="submit">${t(l, 'add')}</button></form>`
            : ''}</section>`),
    );
  });

  r.post('/blocklist', requirePermission('change'), formBody, async (req, res) => {
    const b = parseInput(ruleBody, req.body);
    const expiresAt = optional(b.expiresOn) ? localInstant(b.expiresOn, '00:00', tz, 'expiresOn').toISOString() : undefined;
    await api.run(req, res, viewerOf(res), 'POST', '/blocklist', { pattern: b.pattern, reason: b.reason, ...(expiresAt ? { expiresAt } : {}), ...(optional(b.note) ? { note: optional(b.note) } : {}) });
    back(res);
  });

  r.post('/blocklist/:id/expire', requirePermission('change'), formBody, async (req, res) => {
    const { id } = parseInput(idParam, req.params);
    const b = parseInput(expireBody, req.body);
    await api.run(req, res, viewerOf(res), 'PATCH', `/blocklist/${id}`, { expiresAt: localInstant(b.expiresOn, b.expiresAt, tz, 'expiresOn').toISOString() });
    back(res);
  });

  r.post('/blocklist/:id/remove', requirePermission('change'), formBody, async (req, res) => {
    const { id } = parseInput(idParam, req.params);
    await api.run(req, res, viewerOf(res), 'DELETE', `/blocklist/${id}`);
    back(res);
  });

  r.post('/blocklist/internal', requirePermission('change'), formBody, async (req, res) => {
    const b = parseInput(internalBody, req.body);
    await api.run(req, res, viewerOf(res), 'POST', '/internal-numbers', { pattern: b.pattern, ...(optional(b.name) ? { name: optional(b.name) } : {}) });
    back(res);
  });

  r.post('/blocklist/internal/:id/remove', requirePermission('change'), formBody, async (req, res) => {
    const { id } = parseInput(idParam, req.params);
    await api.run(req, res, viewerOf(res), 'DELETE', `/internal-numbers/${id}`);
    back(res);
  });

  r.post('/blocklist/reports/block', requirePermission('change'), formBody, async (req, res) => {
    const { phone } = parseInput(phoneBody, req.body);
    await api.run(req, res, viewerOf(res), 'POST', '/blocklist', { pattern: phone, reason: 'harassment', note: 'reported by agents' });
    back(res);
  });

  r.post('/blocklist/reports/lift', requirePermission('change'), formBody, async (req, res) => {
    const { phone } = parseInput(phoneBody, req.body);
    await api.run(req, res, viewerOf(res), 'POST', '/caller-reports/lift', { phone });
    back(res);
  });

  return r;
}
