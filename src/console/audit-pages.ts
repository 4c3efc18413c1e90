import { Router } from 'express';
import { z } from 'zod';
import { can } from '../domain/console-roles';
import { maskPhonesInText } from '../domain/endpoint';
import { parseInput } from '../validation';
import type { ConsoleDeps } from './console-deps';
import { html } from './html';
import { t } from './i18n';
import { localTime, page } from './layout';
import { viewerOf } from './session';

const LIMITS = [50, 200, 1000] as const;
const auditQuery = z.object({
  action: z.string().trim().max(100).optional(),
  target: z.string().trim().max(200).optional(),
  actor: z.string().trim().max(100).optional(),
  limit: z.preprocess((x) => (x === '' || x === undefined ? 200 : x), z.coerce.number().int().refine((n) => (LIMITS as readonly number[]).includes(n), `must be one of ${LIMITS.join(', ')}`)),
});
const blank = (s: string | undefined) => (s ? s : undefined);

/** The audit log, newest first: who changed what from the console or the API; numbers masked for viewers (R12). */
export function auditPages(d: ConsoleDeps): Router {
  const r = Router();
  r.get('/audit', async (req, res) => {
    const v = viewerOf(res);
    const l = v.lang;
    const q = parseInput(auditQuery, req.query);
    const target = blank(q.target);
    const action = blank(q.action);
    const actor = blank(q.actor);
    // The store filters by target and action; the person is narrowed here, over a wider read.
    const rows = (await d.audit.recent({ limit: actor ? q.limit * 5 : q.limit, ...(target ? { target } : {}), ...(action ? { actionPrefix: action } : {}) }))
      .filter((x) => !actor || x.actor.includes(actor))
      .slice(0, q.limit);
    const shown = (s: string) => (can(v.account.role, 'see-full-numbers') ? s : maskPhonesInText(s));
    res.type('html').send(
      page(v, { title: t(l, 'audit'), active: 'audit' }, html`
        <form class="filters card" method="get" action="/console/audit">
          <label>${t(l, 'auditAction')}<input name="action" value="${q.action ?? ''}" placeholder="roster. / api.POST / agent.pause"></label>
          <label>${t(l, 'auditActor')}<input name="actor" value="${q.actor ?? ''}" placeholder="account:wang"></label>
          <label>${t(l, 'auditTarget')}<input name="target" value="${q.target ?? ''}"></label>
          <label>${t(l, 'shown')}<select name="limit">${LIMITS.map((n) => html`<option value="${n}" ${n === q.limit ? html`selected` : ''}>${n}</option>`)}</select></label>
          <button type="submit">${t(l, 'filter')}</button></form>
        ${rows.length === 0 ? html`<p class="muted">${t(l, 'none')}</p>` : ''}
        <ul class="rows audit">${rows.map(
          (x) => html`<li data-audit="${x.id}"><div><b>${localTime(x.at, d.timeZone)}</b> · ${x.actor} · <code>${x.action}</code>${x.target ? html` · ${shown(x.target)}` : ''}</div>
            ${x.detail ? html`<div class="detail muted">${shown(JSON.stringify(x.detail))}</div>` : ''}</li>`,
        )}</ul>`),
    );
  });
  return r;
}
