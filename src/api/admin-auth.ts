import { timingSafeEqual, createHash } from 'node:crypto';
import type { RequestHandler } from 'express';
import { UnauthorizedError } from '../errors';

const digest = (s: string) => createHash('sha256').update(s).digest();

/** Authorization: Bearer $ADMIN_TOKEN, compared in constant time. */
export function requireAdmin(adminToken: string): RequestHandler {
  const expected = digest(adminToken);
  return (req, _res, next) => {
    const header = req.header('Authorization') ?? '';
    const match = /^Bearer\s+(.+)$/i.exec(header);
    if (!match) return next(new UnauthorizedError('Authorization: Bearer <ADMIN_TOKEN> is required'));
    if (!timingSafeEqual(digest(match[1]!.trim()), expected)) return next(new UnauthorizedError('the bearer token is not valid'));
    next();
  };
}
