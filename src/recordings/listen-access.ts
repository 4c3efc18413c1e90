import type { Request, RequestHandler, Response } from 'express';
import { requireAdmin } from '../api/admin-auth';
import type { Clock } from '../domain/clock';
import { accountActor } from '../domain/console-roles';
import { mayListen, RECORDING_LINK_PURPOSE } from '../domain/recording-rules';
import { verifyLink } from '../domain/signed-link';
import { ForbiddenError, UnauthorizedError } from '../errors';
import type { PostgresAccountStore } from '../postgres/account-store';
import type { PostgresApiTokenStore } from '../postgres/api-token-store';
import { cookiesOf, SESSION_COOKIE, sha256 } from '../console/session';

/** Who is listening: an actor for the audit, and the one agent whose calls alone they may hear (a signed link's). */
export interface Listener {
  actor: string;
  onlyAgentId?: string;
}

export const listenerOf = (res: Response): Listener => res.locals.listener as Listener;

/**
 * The recording route's own door, taken before the API's bearer check: a signed link (an agent's
 * own call, or the console page's player, whose session cookie is scoped to /console), a bearer
 * token (ADMIN_TOKEN or an admin's or supervisor's personal token), or a console session. A
 * viewer's session is refused (403): they never hear recordings (R12).
 */
export function listenAccess(o: { adminToken: string; tokens: PostgresApiTokenStore; accounts: PostgresAccountStore; clock: Clock; linkSecret: string }): RequestHandler {
  const bearer = requireAdmin(o.adminToken, { tokens: o.tokens, clock: o.clock });
  return async (req: Request, res: Response, next) => {
    const token = typeof req.query.token === 'string' ? req.query.token : undefined;
    if (token) {
      const check = verifyLink(o.linkSecret, token, RECORDING_LINK_PURPOSE, o.clock.now());
      if (!check.ok) return next(new ForbiddenError(`the recording link is ${check.reason === 'expired' ? 'expired' : 'not valid'}`));
      if (check.claims.subject !== req.params.id) return next(new ForbiddenError('the recording link is for another call'));
      const [kind, id] = check.claims.agentId.split(':') as [string, string | undefined];
      if (kind === 'agent' && id) {
        res.locals.listener = { actor: `agent:${id}`, onlyAgentId: id } satisfies Listener;
        return next();
      }
      // A console player's link: the account must still be one that may listen.
      const account = kind === 'account' && id ? await o.accounts.get(id) : null;
      if (!account || !account.active) return next(new ForbiddenError('the recording link\'s account is no longer active'));
      if (!mayListen(account.role)) return next(new ForbiddenError(`your role (${account.role}) may not listen to recordings`));
      res.locals.listener = { actor: accountActor(account.username) } satisfies Listener;
      return next();
    }
    if (req.header('Authorization')) {
      return bearer(req, res, (err?: unknown) => {
        if (err) return next(err);
        res.locals.listener = { actor: res.locals.actor as string } satisfies Listener;
        next();
      });
    }
    const sessionId = cookiesOf(req)[SESSION_COOKIE];
    const session = sessionId ? await o.accounts.session(sha256(sessionId), o.clock.now()) : null;
    if (!session) return next(new UnauthorizedError('a bearer token, a console session or a signed link is required'));
    if (!mayListen(session.account.role)) return next(new ForbiddenError(`your role (${session.account.role}) may not listen to recordings`));
    res.locals.listener = { actor: accountActor(session.account.username) } satisfies Listener;
    next();
  };
}
