import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import type { Clock } from '../domain/clock';
import { accountActor, can, type Permission } from '../domain/console-roles';
import { ForbiddenError } from '../errors';
import type { Account, PostgresAccountStore } from '../postgres/account-store';
import { langOf, type Lang } from './i18n';

export const SESSION_COOKIE = 'threering_console';
export const SIGN_IN_CSRF_COOKIE = 'threering_sign_in';

/** What every console page knows about who is looking. */
export interface Viewer {
  account: Account;
  actor: string;
  csrfToken: string;
  lang: Lang;
  sessionHash: string;
}

export const newSecret = () => randomBytes(32).toString('base64url');
export const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');

export function sameSecret(a: string | undefined, b: string | undefined): boolean {
  if (!a || !b) return false;
  const x = createHash('sha256').update(a).digest();
  const y = createHash('sha256').update(b).digest();
  return timingSafeEqual(x, y);
}

export function cookiesOf(req: Request): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of (req.header('Cookie') ?? '').split(';')) {
    const i = part.indexOf('=');
    if (i <= 0) continue;
    const key = part.slice(0, i).trim();
    try {
      out[key] = decodeURIComponent(part.slice(i + 1).trim());
    } catch {
      // A cookie that is not ours (or mangled) is ignored, not an error.
    }
  }
  return out;
}

export interface CookieOptions {
  /** Secure cookies are sent over HTTPS only: on in production, off for the tests' plain http. */
  secure: boolean;
}

export function setCookie(res: Response, name: string, value: string, o: CookieOptions & { maxAgeSeconds?: number }): void {
  const parts = [`${name}=${encodeURIComponent(value)}`, 'Path=/console', 'HttpOnly', 'SameSite=Lax'];
  if (o.secure) parts.push('Secure');
  if (o.maxAgeSeconds !== undefined) parts.push(`Max-Age=${o.maxAgeSeconds}`);
  res.append('Set-Cookie', parts.join('; '));
}

export const viewerOf = (res: Response): Viewer => res.locals.viewer as Viewer;

const MAX_NEXT_LENGTH = 2000;

/**
 * Loads the session named by the cookie. Pages without one go to the sign-in page; other
 * requests (forms, the live stream) get a 401.
 */
export function requireSession(accounts: PostgresAccountStore, clock: Clock): RequestHandler {
  return async (req, res, next) => {
    const cookies = cookiesOf(req);
    const id = cookies[SESSION_COOKIE];
    const session = id ? await accounts.session(sha256(id), clock.now()) : null;
    if (!session) {
      if (req.method === 'GET' && req.header('Accept') !== 'text/event-stream') {
        // A page address too long to come back to is dropped: encoded into Location it would
        // outgrow the response head clients accept (Node's limit is 16 KB).
        res.redirect(303, req.originalUrl.length <= MAX_NEXT_LENGTH ? `/console/sign-in?next=${encodeURIComponent(req.originalUrl)}` : '/console/sign-in');
      } else {
        res.status(401).type('text/plain').send('sign in first: /console/sign-in');
      }
      return;
    }
    const viewer: Viewer = {
      account: session.account,
      actor: accountActor(session.account.username),
      csrfToken: session.csrfToken,
      lang: langOf(cookies.lang),
      sessionHash: sha256(id!),
    };
    res.locals.viewer = viewer;
    next();
  };
}

/**
 * CSRF: a synchronizer token kept with the server-side session, sent back in every form
 * (`_csrf`) or header (`X-CSRF-Token`). Every state-changing request is checked here.
 */
export function checkCsrf(req: Request, res: Response, next: NextFunction): void {
  if (req.method === 'GET' || req.method === 'HEAD') return next();
  const sent = (req.body as Record<string, unknown> | undefined)?._csrf ?? req.header('X-CSRF-Token');
  if (!sameSecret(typeof sent === 'string' ? sent : undefined, viewerOf(res).csrfToken)) {
    return next(new ForbiddenError('_csrf: the form is stale or forged; reload the page and try again'));
  }
  next();
}

export function requirePermission(permission: Permission): RequestHandler {
  return (_req, res, next) => {
    if (!can(viewerOf(res).account.role, permission)) return next(new ForbiddenError(`your role (${viewerOf(res).account.role}) may not do this`));
    next();
  };
}
