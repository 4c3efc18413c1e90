import { verify } from '@node-rs/argon2';
import { Router } from 'express';
import { z } from 'zod';
import { can } from '../domain/console-roles';
import { BadRequestError, NotFoundError } from '../errors';
import { parseInput } from '../validation';
import { MIN_PASSWORD } from './account-service';
import type { ConsoleDeps } from './console-deps';
import { html } from './html';
import { t } from './i18n';
import { csrfField, page } from './layout';
import { formBody } from './page-kit';
import { newSecret, requirePermission, SESSION_COOKIE, setCookie, sha256, viewerOf } from './session';

const ownBody = z.object({
  current: z.string({ message: 'is required' }).min(1, 'is required'),
  password: z.string({ message: 'is required' }),
  repeat: z.string({ message: 'is required' }),
});
const resetBody = z.object({ accountId: z.string({ message: 'choose an account' }).uuid('choose an account'), password: z.string({ message: 'is required' }) });

/**
 * One's own password (the current one first), and, for admins, setting another account's
 * password. A new password ends every session of that account; one's own is started again here,
 * so changing it does not sign the person out.
 */
export function accountPages(d: ConsoleDeps): Router {
  const r = Router();

  r.get('/account', async (req, res) => {
    const v = viewerOf(res);
    const l = v.lang;
    const others = can(v.account.role, 'manage-accounts') ? (await d.accounts.list()).filter((a) => a.id !== v.account.id) : [];
    const notice = req.query.changed ? t(l, 'passwordChanged') : req.query.reset ? t(l, 'passwordReset', { who: String(req.query.reset) }) : undefined;
    res.type('html').send(
      page(v, { title: t(l, 'myAccount'), active: 'account', notice }, html`
        <p>${t(l, 'username')}: <b>${v.account.username}</b> · ${t(l, 'role')}: ${t(l, `role_${v.account.role}`)}</p>
        <section class="card"><h2>${t(l, 'changePassword')}</h2><form method="post" action="/console/account/password" class="stack">${csrfField(v)}
          <label>${t(l, 'currentPassword')}<input type="password" name="current" required autocomplete="current-password"></label>
          <label>${t(l, 'newPassword')}<input type="password" name="password" required minlength="${MIN_PASSWORD}" autocomplete="new-password"></label>
          <label>${t(l, 'repeatPassword')}<input type="password" name="repeat" required minlength="${MIN_PASSWORD}" autocomplete="new-password"></label>
          <button type="submit">${t(l, 'save')}</button></form></section>
        ${can(v.account.role, 'manage-accounts')
          ? html`<section class="card"><h2>${t(l, 'resetPassword')}</h2><p class="muted">${t(l, 'resetHelp')}</p>
              <form method="post" action="/console/account/reset" class="stack">${csrfField(v)}
              <label>${t(l, 'username')}<select name="accountId" required>${others.map((a) => html`<option value="${a.id}">${a.username} · ${t(l, `role_${a.role}`)}</option>`)}</select></label>
              <label>${t(l, 'newPassword')}<input type="password" name="password" required minlength="${MIN_PASSWORD}" autocomplete="new-password"></label>
              <button type="submit">${t(l, 'resetPassword')}</button></form></section>`
          : ''}`),
    );
  });

  r.post('/account/password', formBody, async (req, res) => {
    const v = viewerOf(res);
    const b = parseInput(ownBody, req.body);
    if (b.password !== b.repeat) throw new BadRequestError('repeat: the two new passwords differ', 'repeat');
    const found = await d.accounts.credentials(v.account.username);
    if (!found || !(await verify(found.passwordHash, b.current).catch(() => false))) throw new BadRequestError('current: the current password is wrong', 'current');
    await d.accountService.setPassword(v.account.id, b.password);
    const now = d.c.clock.now();
    await d.audit.record({ actor: v.actor, action: 'account.password', target: v.account.id, detail: { username: v.account.username }, at: now });
    // Every session of the account ended with the old password; this browser gets a new one.
    const sessionId = newSecret();
    const hours = d.c.config.CONSOLE_SESSION_HOURS;
    await d.accounts.startSession({ idHash: sha256(sessionId), accountId: v.account.id, csrfToken: newSecret(), now, expiresAt: new Date(now.getTime() + hours * 3600_000) });
    setCookie(res, SESSION_COOKIE, sessionId, { secure: d.c.config.NODE_ENV === 'production', maxAgeSeconds: hours * 3600 });
    res.redirect(303, '/console/account?changed=1');
  });

  r.post('/account/reset', requirePermission('manage-accounts'), formBody, async (req, res) => {
    const v = viewerOf(res);
    const b = parseInput(resetBody, req.body);
    if (b.accountId === v.account.id) throw new BadRequestError('accountId: change your own password with the current one', 'accountId');
    const target = await d.accounts.get(b.accountId);
    if (!target) throw new NotFoundError(`no account ${b.accountId}`);
    await d.accountService.setPassword(target.id, b.password);
    await d.audit.record({ actor: v.actor, action: 'account.password-reset', target: target.id, detail: { username: target.username }, at: d.c.clock.now() });
    res.redirect(303, `/console/account?reset=${encodeURIComponent(target.username)}`);
  });

  return r;
}
