import express, { Router } from 'express';
import { z } from 'zod';
import { apiTokenHash } from '../api/admin-auth';
import { can, ROLES } from '../domain/console-roles';
import { ForbiddenError, NotFoundError } from '../errors';
import { parseInput } from '../validation';
import type { ConsoleDeps } from './console-deps';
import { html, type SafeHtml } from './html';
import { t } from './i18n';
import { csrfField, localTime, page } from './layout';
import { newSecret, requirePermission, viewerOf, type Viewer } from './session';

const idParam = z.object({ id: z.string().uuid('must be an id') });
const tokenBody = z.object({ name: z.string({ message: 'is required' }).trim().min(1, 'say what the token is for').max(100) });
const displayName = z.string().trim().max(100, 'must be at most 100 characters').optional().transform((x) => (x ? x : null));
const accountBody = z.object({ username: z.string({ message: 'is required' }).trim(), password: z.string({ message: 'is required' }), role: z.string({ message: 'is required' }), displayName });
const accountChange = z.object({ role: z.enum(ROLES, { message: `must be one of ${ROLES.join(', ')}` }), active: z.enum(['true', 'false']).transform((x) => x === 'true'), displayName });

/** Personal API tokens (each account its own; shown once), and the accounts themselves for admins. */
export function tokensPages(d: ConsoleDeps): Router {
  const r = Router();
  const form = express.urlencoded({ extended: false, limit: '10kb' });
  const tz = d.timeZone;

  const tokensPage = async (v: Viewer, fresh?: string): Promise<SafeHtml> => {
    const l = v.lang;
    const list = await d.tokens.listOf(v.account.id);
    return html`${fresh ? html`<div class="notice"><p>${t(l, 'tokenShownOnce')}</p><code class="token" data-new-token>${fresh}</code></div>` : ''}
      ${can(v.account.role, 'hold-api-token')
        ? html`<section class="card"><form method="post" action="/console/tokens" class="inline">${csrfField(v)}
            <input name="name" required maxlength="100" placeholder="${t(l, 'tokenName')}" aria-label="${t(l, 'tokenName')}"><button type="submit">${t(l, 'newToken')}</button></form>
            <p class="muted">curl -H "Authorization: Bearer tr_…" ${'/api/calls'}</p></section>`
        : html`<p class="muted">${t(l, 'noTokenForViewer')}</p>`}
      <div class="scroll"><table class="cards"><thead><tr><th>${t(l, 'tokenName')}</th><th>${t(l, 'created')}</th><th>${t(l, 'lastUsed')}</th><th></th></tr></thead><tbody>
      ${list.map(
        (x) => html`<tr data-token="${x.id}"><td>${x.name}</td><td>${localTime(x.createdAt, tz)}</td><td>${localTime(x.lastUsedAt, tz)}</td><td>${
          x.revokedAt
            ? t(l, 'revoked')
            : html`<form class="inline" method="post" action="/console/tokens/${x.id}/revoke">${csrfField(v)}<button type="submit" class="secondary">${t(l, 'revoke')}</button></form>`
        }</td></tr>`,
      )}</tbody></table></div>`;
  };

  r.get('/tokens', async (_req, res) => {
    const v = viewerOf(res);
    res.type('html').send(page(v, { title: t(v.lang, 'tokens'), active: 'tokens' }, await tokensPage(v)));
  });

  r.post('/tokens', requirePermission('hold-api-token'), form, async (req, res) => {
    const v = viewerOf(res);
    const { name } = parseInput(tokenBody, req.body);
    const token = `tr_${newSecret()}`;
    const created = await d.tokens.create(v.account.id, name, apiTokenHash(token), d.c.clock.now());
    await d.audit.record({ actor: v.actor, action: 'api-token.create', target: created.id, detail: { name }, at: d.c.clock.now() });
    // Shown in this answer only, never again: the server keeps its hash.
    res.status(201).set('Cache-Control', 'no-store').type('html').send(page(v, { title: t(v.lang, 'tokens'), active: 'tokens' }, await tokensPage(v, token)));
  });

  r.post('/tokens/:id/revoke', form, async (req, res) => {
    const v = viewerOf(res);
    const { id } = parseInput(idParam, req.params);
    if (!(await d.tokens.revoke(id, v.account.id, d.c.clock.now()))) throw new NotFoundError(`no token ${id} of yours`);
    await d.audit.record({ actor: v.actor, action: 'api-token.revoke', target: id, at: d.c.clock.now() });
    res.redirect(303, '/console/tokens');
  });

  r.get('/accounts', requirePermission('manage-accounts'), async (_req, res) => {
    const v = viewerOf(res);
    const l = v.lang;
    const list = await d.accounts.list();
    const roleOptions = (current: string) => ROLES.map((x) => html`<option value="${x}" ${x === current ? html`selected` : ''}>${t(l, `role_${x}`)}</option>`);
    res.type('html').send(
      page(v, { title: t(l, 'accounts'), active: 'accounts' }, html`<div class="scroll"><table class="cards"><thead><tr><th>${t(l, 'username')}</th><th>${t(l, 'role')}</th><th>${t(l, 'created')}</th><th></th></tr></thead><tbody>
        ${list.map(
          (a) => html`<tr data-account="${a.username}"><td data-label="${t(l, 'username')}">${a.username}${a.displayName ? html` · ${a.displayName}` : ''}</td><td data-label="${t(l, 'role')}">${t(l, `role_${a.role}`)}${a.active ? '' : html` <span class="pill inactive">${t(l, 'state_inactive')}</span>`}</td>
            <td data-label="${t(l, 'created')}">${localTime(a.createdAt, tz)}</td><td class="actions"><form class="inline" method="post" action="/console/accounts/${a.id}">${csrfField(v)}
              <input name="displayName" value="${a.displayName ?? ''}" maxlength="100" placeholder="${t(l, 'displayName')}" aria-label="${t(l, 'displayName')}">
              <select name="role" aria-label="${t(l, 'role')}">${roleOptions(a.role)}</select>
              <select name="active" aria-label="${t(l, 'active')}"><option value="true" ${a.active ? html`selected` : ''}>${t(l, 'activate')}</option><option value="false" ${a.active ? '' : html`selected`}>${t(l, 'deactivate')}</option></select>
              <button type="submit" class="secondary">${t(l, 'save')}</button></form></td></tr>`,
        )}</tbody></table></div>
        <section class="card"><h2>${t(l, 'addAccount')}</h2><form method="post" action="/console/accounts" class="stack">${csrfField(v)}
          <label>${t(l, 'username')}<input name="username" required pattern="[A-Za-z0-9._\\-]{2,40}"></label>
          <label>${t(l, 'displayName')}<input name="displayName" maxlength="100"></label>
          <label>${t(l, 'password')}<input name="password" type="password" required minlength="10" autocomplete="new-password"></label>
          <label>${t(l, 'role')}<select name="role">${roleOptions('viewer')}</select></label>
          <button type="submit">${t(l, 'add')}</button></form></section>`),
    );
  });

  r.post('/accounts', requirePermission('manage-accounts'), form, async (req, res) => {
    const v = viewerOf(res);
    const input = parseInput(accountBody, req.body);
    const account = await d.accountService.create(input.username, input.password, input.role, input.displayName);
    await d.audit.record({ actor: v.actor, action: 'account.create', target: account.id, detail: { username: account.username, role: account.role }, at: d.c.clock.now() });
    res.redirect(303, '/console/accounts');
  });

  r.post('/accounts/:id', requirePermission('manage-accounts'), form, async (req, res) => {
    const v = viewerOf(res);
    const { id } = parseInput(idParam, req.params);
    const changes = parseInput(accountChange, req.body);
    // An admin cannot lock themselves out; another admin has to.
    if (id === v.account.id && (changes.role !== 'admin' || !changes.active)) throw new ForbiddenError('you cannot demote or deactivate your own account');
    const account = await d.accounts.update(id, changes, d.c.clock.now());
    if (!account) throw new NotFoundError(`no account ${id}`);
    await d.audit.record({ actor: v.actor, action: 'account.update', target: id, detail: { username: account.username, ...changes }, at: d.c.clock.now() });
    res.redirect(303, '/console/accounts');
  });

  return r;
}
