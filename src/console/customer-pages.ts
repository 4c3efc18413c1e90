import { Router } from 'express';
import { z } from 'zod';
import { can } from '../domain/console-roles';
import { NotFoundError } from '../errors';
import { listCustomers } from '../postgres/customer-directory';
import { parseInput } from '../validation';
import type { ApiBridge } from './api-bridge';
import type { ConsoleDeps } from './console-deps';
import { html } from './html';
import { t } from './i18n';
import { csrfField, label, localTime, page, shownNumber } from './layout';
import { formBody, idParam, nameOf } from './page-kit';
import { requirePermission, viewerOf } from './session';
import { openTicketsSection } from './ticket-sections';

const LIMIT = 100;
const searchQuery = z.object({ q: z.string().trim().max(100).optional() });
const fileBody = z.object({ name: z.string().max(200).default(''), notes: z.string().max(8000).default('') });

/** Customer files: a searchable list, one file with its calls, and its name and notes edited in place. */
export function customerPages(d: ConsoleDeps, api: ApiBridge): Router {
  const r = Router();
  const tz = d.timeZone;

  r.get('/customers', async (req, res) => {
    const v = viewerOf(res);
    const l = v.lang;
    const { q } = parseInput(searchQuery, req.query);
    const list = await listCustomers(d.c.db, { ...(q ? { search: q } : {}), byPhone: can(v.account.role, 'see-full-numbers'), limit: LIMIT });
    res.type('html').send(
      page(v, { title: t(l, 'customers'), active: 'customers' }, html`
        <form class="filters card" method="get" action="/console/customers"><label>${t(l, can(v.account.role, 'see-full-numbers') ? 'searchNameOrNumber' : 'searchName')}<input name="q" value="${q ?? ''}" type="search"></label>
          <button type="submit">${t(l, 'filter')}</button></form>
        ${list.length === 0 ? html`<p class="muted">${t(l, 'none')}</p>` : ''}
        <ul class="rows">${list.map(
          (x) => html`<li data-customer="${x.id}"><div><a href="/console/customers/${x.id}"><b>${x.name ?? x.nameSuggestion ?? '—'}</b> · ${shownNumber(v, x.phone)}</a>
            · ${t(l, 'callCount', { n: x.calls })}${x.lastCallAt ? ` · ${t(l, 'lastCall')} ${localTime(x.lastCallAt, tz, 'yyyy-MM-dd HH:mm')}` : ''}</div>
            ${x.notes ? html`<div class="detail muted">${x.notes.slice(0, 140)}</div>` : ''}</li>`,
        )}</ul>`),
    );
  });

  r.get('/customers/:id', async (req, res) => {
    const v = viewerOf(res);
    const l = v.lang;
    const { id } = parseInput(idParam, req.params);
    const customer = await d.customers.getById(id);
    if (!customer) throw new NotFoundError(`no customer ${id}`);
    const calls = await d.c.calls.listCalls({ callerNumber: customer.phone, limit: 50 });
    const name = nameOf(await d.c.agents.list({ includeInactive: true }));
    const canChange = v.account.role !== 'viewer';
    const tickets = await openTicketsSection(d, v, customer.phone);
    res.type('html').send(
      page(v, { title: `${t(l, 'customerFile')} · ${customer.name ?? customer.nameSuggestion ?? shownNumber(v, customer.phone)}`, active: 'customers', notice: req.query.done ? t(l, 'saved') : undefined }, html`
        <section class="card"><p>${shownNumber(v, customer.phone)}${customer.nameSuggestion ? html` · <span class="muted">${t(l, 'networkName')}: ${customer.nameSuggestion}</span>` : ''}</p>
          ${canChange
            ? html`<form method="post" action="/console/customers/${id}" class="stack">${csrfField(v)}
                <label>${t(l, 'callerName')}<input name="name" maxlength="100" value="${customer.name ?? ''}"></label>
                <label>${t(l, 'notes')}<textarea name="notes" rows="4" maxlength="4000">${customer.notes ?? ''}</textarea></label>
                <button type="submit">${t(l, 'save')}</button></form>`
            : html`<p>${t(l, 'callerName')}: ${customer.name ?? '—'}</p><p class="wrap">${customer.notes ?? ''}</p>`}</section>
        ${tickets}
        <section class="card"><h2>${t(l, 'earlierCalls')}</h2>${calls.length === 0 ? html`<p class="muted">${t(l, 'none')}</p>` : ''}
          <ul class="rows">${calls.map(
            (c) => html`<li><a href="/console/calls/${c.id}">${localTime(c.startedAt, tz, 'yyyy-MM-dd HH:mm')}</a> · ${label(l, 'outcome', c.outcome)}${c.answeredByAgentId ? ` · ${name(c.answeredByAgentId)}` : ''}${c.type ? ` · ${label(l, 'type', c.type)}` : ''}${c.summary ? html`<div class="detail muted">${c.summary}</div>` : ''}</li>`,
          )}</ul></section>`),
    );
  });

  r.post('/customers/:id', requirePermission('change'), formBody, async (req, res) => {
    const { id } = parseInput(idParam, req.params);
    const b = parseInput(fileBody, req.body);
    const customer = await d.customers.getById(id);
    if (!customer) throw new NotFoundError(`no customer ${id}`);
    await api.run(req, res, viewerOf(res), 'PATCH', `/customers/${encodeURIComponent(customer.phone)}`, { name: b.name, notes: b.notes });
    res.redirect(303, `/console/customers/${id}?done=1`);
  });

  return r;
}
