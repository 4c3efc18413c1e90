import { isIP } from 'node:net';
import express, { Router } from 'express';
import type { Clock } from '../domain/clock';
import type { PostgresAccountStore } from '../postgres/account-store';
import type { PostgresAuditStore } from '../postgres/audit-store';
import { accountActor } from '../domain/console-roles';
import type { AccountService } from './account-service';
import { html } from './html';
import { langOf, t, type Lang } from './i18n';
import { localTime, page } from './layout';
import { cookiesOf, newSecret, sameSecret, SESSION_COOKIE, setCookie, SIGN_IN_CSRF_COOKIE, type CookieOptions } from './session';

export interface SignInDeps {
  service: AccountService;
  accounts: PostgresAccountStore;
  audit: PostgresAuditStore;
  clock: Clock;
  timeZone: string;
  cookies: CookieOptions;
  sessionHours: number;
}

/** Only console paths are followed after signing in: no open redirect. */
const safeNext = (next: unknown) => (typeof next === 'string' && /^\/console\/[^/\\]?/.test(next) && !next.startsWith('//') ? next : '/console/');

function signInPage(lang: Lang, csrf: string, next: string, problem?: string, notice?: string): string {
  return page(
    null,
    { title: t(lang, 'signIn'), bodyClass: 'signin-page', notice, lang },
    html`<div class="card signin">${problem ? html`<p class="error" role="alert">${problem}</p>` : ''}
      <form method="post" action="/console/sign-in" class="stack">
        <input type="hidden" name="_csrf" value="${csrf}"><input type="hidden" name="next" value="${next}">
        <label>${t(lang, 'username')}<input name="username" autocomplete="username" required autofocus></label>
        <label>${t(lang, 'password')}<input name="password" type="password" autocomplete="current-password" required></label>
        <button type="submit">${t(lang, 'signIn')}</button>
      </form></div>`,
  );
}

/**
 * The address the sign-in throttle counts. From a trusted proxy's X-Forwarded-For (TRUST_PROXY)
 * the client's entry can be any text: every one that is not an IP address is counted as one
 * address, so made-up values mint no fresh allowances (and a 10 KB one is no row to index).
 */
export const throttleAddress = (ip: string | undefined) => (ip !== undefined && isIP(ip) ? ip : '(not an address)');

/**
 * Signing in and out. The sign-in form carries its own CSRF token (a double-submit cookie, as
 * there is no session yet), so another site cannot sign a browser into an account of its choosing.
 */
export function signInRoutes(d: SignInDeps): Router {
  const r = Router();
  const form = express.urlencoded({ extended: false, limit: '10kb' });

  const show = (req: express.Request, res: express.Response, status: number, problem?: string, notice?: string) => {
    const csrf = newSecret();
    setCookie(res, SIGN_IN_CSRF_COOKIE, csrf, { ...d.cookies, maxAgeSeconds: 3600 });
    res.status(status).type('html').set('Cache-Control', 'no-store').send(signInPage(langOf(cookiesOf(req).lang), csrf, safeNext(req.body?.next ?? req.query.next), problem, notice));
  };

  r.get('/sign-in', (req, res) => show(req, res, 200, undefined, req.query.out ? t(langOf(cookiesOf(req).lang), 'signedOut') : undefined));

  r.post('/sign-in', form, async (req, res) => {
    const lang = langOf(cookiesOf(req).lang);
    if (!sameSecret(req.body?._csrf, cookiesOf(req)[SIGN_IN_CSRF_COOKIE])) return show(req, res, 403, t(lang, 'badRequest') + ': _csrf');
    const username = String(req.body?.username ?? '').trim();
    const password = String(req.body?.password ?? '');
    if (!username || !password) return show(req, res, 400, `${t(lang, 'badRequest')}: ${!username ? 'username' : 'password'}`);
    const result = await d.service.signIn(username, password, throttleAddress(req.ip));
    if (!result.ok) {
      if (result.reason === 'throttled') {
        res.set('Retry-After', String(Math.ceil((result.until.getTime() - d.clock.now().getTime()) / 1000)));
        return show(req, res, 429, t(lang, 'throttled', { until: localTime(result.until, d.timeZone, 'HH:mm:ss') }));
      }
      return show(req, res, 401, t(lang, 'wrongPassword'));
    }
    await d.audit.record({ actor: accountActor(result.account.username), action: 'console.sign-in', at: d.clock.now() });
    setCookie(res, SESSION_COOKIE, result.sessionId, { ...d.cookies, maxAgeSeconds: d.sessionHours * 3600 });
    setCookie(res, SIGN_IN_CSRF_COOKIE, '', { ...d.cookies, maxAgeSeconds: 0 });
    res.redirect(303, safeNext(req.body?.next));
  });

  r.get('/lang', (req, res) => {
    setCookie(res, 'lang', req.query.to === 'en' ? 'en' : 'zh', { ...d.cookies, maxAgeSeconds: 365 * 24 * 3600 });
    const referer = req.header('Referer');
    // Back to the console page the switch was on; a Referer that does not parse is no page of ours.
    const back = referer && URL.canParse(referer, 'http://x') ? new URL(referer, 'http://x') : null;
    res.redirect(303, back && back.pathname.startsWith('/console/') ? back.pathname + back.search : '/console/');
  });

  return r;
}

/** Signing out ends the session on the server, not only the cookie. Runs behind the session and CSRF checks. */
export function signOutRoute(d: SignInDeps): Router {
  const r = Router();
  r.post('/sign-out', async (_req, res) => {
    const viewer = res.locals.viewer as { sessionHash: string; actor: string };
    await d.accounts.endSession(viewer.sessionHash);
    await d.audit.record({ actor: viewer.actor, action: 'console.sign-out', at: d.clock.now() });
    setCookie(res, SESSION_COOKIE, '', { ...d.cookies, maxAgeSeconds: 0 });
    res.redirect(303, '/console/sign-in?out=1');
  });
  return r;
}

