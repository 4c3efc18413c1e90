import type { RequestHandler } from 'express';
import type { Clock } from '../domain/clock';
import type { Logger } from '../logger';
import type { PostgresAuditStore } from '../postgres/audit-store';
import { maskPhonesInText } from '../domain/endpoint';
import { actorOf } from './admin-auth';

/** The request's path, with a customer's number (their file's address) masked (R12). */
function auditedPath(url: string): string {
  const path = url.split('?')[0]!;
  try {
    return maskPhonesInText(decodeURIComponent(path));
  } catch {
    return maskPhonesInText(path);
  }
}

/**
 * Every change made through the API is audited with who made it: each successful request that is
 * not a read leaves its method, route and the actor. Bodies are not kept (they carry numbers).
 */
export function auditChanges(audit: PostgresAuditStore, clock: Clock, logger: Logger): RequestHandler {
  return (req, res, next) => {
    if (req.method === 'GET' || req.method === 'HEAD' || req.method === 'OPTIONS') return next();
    res.on('finish', () => {
      if (res.statusCode >= 400) return;
      const path = auditedPath(req.originalUrl);
      const route = path.replace(/^\/api/, '').replace(/\/[0-9a-f-]{36}/g, '/:id').replace(/\/\+[\d*]{5,}/g, '/:phone');
      audit
        .record({ actor: actorOf(res), action: `api.${req.method} ${route}`, target: path, detail: { status: res.statusCode }, at: clock.now() })
        .catch((err: unknown) => logger.error('audit failed', { path, err }));
    });
    next();
  };
}
