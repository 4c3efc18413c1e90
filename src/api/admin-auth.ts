import { timingSafeEqual, createHash } from 'node:crypto';
import type { RequestHandler, Response } from 'express';
import type { Clock } from '../domain/clock';
import { accountActor, ADMIN_TOKEN_ACTOR, can } from '../domain/console-roles';
import { ForbiddenError, UnauthorizedError } from '../errors';
import type { PostgresApiTokenStore } from '../postgres/api-token-store';

const digest = (s: string) => createHash('sha256').update(s).digest();
/** How a personal API token is kept: its SHA-256, hex. */
export const apiTokenHash = (token: string) => digest(token).toString('hex');

/** Who is calling the API, for the audit: 'account:<username>' for a personal token, 'admin-token' for ADMIN_TOKEN. */
export const actorOf = (res: Response): string => (res.locals.actor as string | undefined) ?? ADMIN_TOKEN_ACTOR;

/**
 * Authorization: Bearer <token>: the shared $ADMIN_TOKEN (compared in constant time) or a
 * personal API token of an admin or supervisor account (looked up by its hash).
 */
export function requireAdmin(adminToken: string, personal?: { tokens: PostgresApiTokenStore; clock: Clock }): RequestHandler {
  const expected = digest(adminToken);
  return async (req, res, next) => {
    const header = req.header('Authorization') ?? '';
    const match = /^Bearer\s+(.+)$/i.exec(header);
    if (!match) return next(new UnauthorizedError('Authorization: Bearer <token> is required (ADMIN_TOKEN or a personal API token)'));
    const token = match[1]!.trim();
    if (timingSafeEqual(digest(token), expected)) {
      res.locals.actor = ADMIN_TOKEN_ACTOR;
      return next();
    }
    const account = personal ? await personal.tokens.accountOf(apiTokenHash(token), personal.clock.now()) : null;
    if (!account) return next(new UnauthorizedError('the bearer token is not valid'));
    if (!can(account.role, 'hold-api-token')) return next(new ForbiddenError(`the token's account is a ${account.role}, which holds no API token`));
    res.locals.actor = accountActor(account.username);
    next();
  };
}
