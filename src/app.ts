import express, { Router, type ErrorRequestHandler, type Express } from 'express';
import { twilioWebhooks } from '../webhooks';
import { requireAdmin } from './api/admin-auth';
import { auditChanges } from './api/api-audit';
import { openApiDocument } from './api/openapi';
import { API_ROUTES } from './api/openapi-catalogue';
import { PostgresApiTokenStore } from './postgres/api-token-store';
import { PostgresAuditStore } from './postgres/audit-store';
import { agentsRoutes } from './api/agents-routes';
import { analyticsRoutes } from './api/analytics-routes';
import { callsRoutes } from './routing/calls-routes';
import { reportsRoutes } from './api/reports-routes';
import { PostgresReportStore } from './postgres/report-store';
import type { Container } from './container';
import { requestErrorOf } from './errors';
import { metricsRoutes } from './metrics/metrics-routes';
import type { Logger } from './logger';

/** One place turns API errors into JSON: { error: { code, message, field? } }. */
function apiErrorHandler(logger: Logger): ErrorRequestHandler {
  return (err, req, res, _next) => {
    const refused = requestErrorOf(err);
    if (refused) {
      res.status(refused.status).json({ error: { code: refused.code, message: refused.message, ...(refused.field ? { field: refused.field } : {}) } });
      return;
    }
    // The agent's page carries its capability in the path: never log the token itself.
    logger.error('request failed', { path: req.route?.path ?? req.path.replace(/\/m\/calls\/[^/]+/, '/m/calls/:token'), err });
    res.status(500).json({ error: { code: 'internal', message: 'internal error' } });
  };
}

/** Set once the instance is shutting down (src/server.ts): it should get no new work. */
export interface DrainState {
  draining: boolean;
}

/** The HTTP surface, without listening: health, Twilio webhooks, the admin API, feature pages. */
export function createApp(c: Container, drain: DrainState = { draining: false }): Express {
  const app = express();
  app.disable('x-powered-by');
  // Whose X-Forwarded-For names the client (req.ip: the sign-in throttle's address): only the
  // proxies TRUST_PROXY names. Nothing else reads the forwarded headers: Twilio's signatures are
  // checked against PUBLIC_BASE_URL, and console cookies are Secure by NODE_ENV, not req.secure.
  app.set('trust proxy', c.config.TRUST_PROXY);
  // While draining, every answer ends its connection: a keep-alive client reconnects elsewhere.
  app.use((_req, res, next) => {
    if (drain.draining) res.setHeader('Connection', 'close');
    next();
  });

  // Twilio's webhooks first: the calls' path meets no other route on its way.
  app.use(
    '/webhooks',
    twilioWebhooks({
      hotline: c.hotline,
      authToken: c.config.TWILIO_AUTH_TOKEN,
      publicBaseUrl: c.config.PUBLIC_BASE_URL,
      speaker: c.speaker,
      fallbackNumber: c.config.FALLBACK_NUMBER,
      logger: c.logger,
      clock: c.clock,
      deadlineSeconds: c.config.WEBHOOK_DEADLINE_SECONDS,
      observe: (route, status, seconds) => c.metrics.observeWebhook(route, status, seconds),
      degraded: c.spool?.degraded,
      extraRoutes: (router) => c.features.forEach((f) => f.webhookRoutes?.(router)),
    }),
  );

  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  app.get('/readyz', async (_req, res) => {
    if (drain.draining) {
      res.status(503).json({ status: 'draining' });
      return;
    }
    const checks: Record<string, string> = {};
    await c.db.query('SELECT 1').then(
      () => (checks.database = 'ok'),
      (err: Error) => (checks.database = err.message),
    );
    await c.coordinator.ping().then(
      () => (checks.coordination = 'ok'),
      (err: Error) => (checks.coordination = err.message),
    );
    const ready = Object.values(checks).every((v) => v === 'ok');
    // Without the database, callers are still put through and spooled (src/spool/): the instance
    // stays in the load balancer, degraded, as long as it can coordinate.
    const spoolDepth = c.spool?.depth() ?? 0;
    const degraded = c.spool !== undefined && checks.coordination === 'ok' && (!ready || spoolDepth > 0);
    const status = degraded ? 'degraded' : ready ? 'ready' : 'not ready';
    const spool = c.spool ? { spool: { depth: spoolDepth } } : {};
    res.status(ready || degraded ? 200 : 503).json({
      status,
      database: c.db.kind,
      coordination: c.coordinator.mode?.() ?? (c.config.REDIS_URL ? 'redis' : 'in-process'),
      ...(c.coordinator.errorCount ? { redisErrors: c.coordinator.errorCount() } : {}),
      checks,
      ...spool,
    });
  });

  app.use(metricsRoutes(c.metrics, c.config.METRICS_TOKEN, c.logger));

  c.features.forEach((f) => f.ownAuthRoutes?.(app));
  const api = Router();
  api.use(express.json({ limit: '100kb' }));
  api.use(requireAdmin(c.config.ADMIN_TOKEN, { tokens: new PostgresApiTokenStore(c.db), clock: c.clock }));
  api.use(auditChanges(new PostgresAuditStore(c.db), c.clock, c.logger));
  api.get('/openapi.json', (_req, res) => {
    res.json(openApiDocument(API_ROUTES, { version: '1.0', serverUrl: c.config.PUBLIC_BASE_URL }));
  });
  api.use(agentsRoutes(c.agents, c.roster));
  api.use(callsRoutes(c.calls));
  api.use(analyticsRoutes(c.analytics, c.clock, c.config.ANSWER_THRESHOLD_SECONDS, c.config.TIME_ZONE));
  api.use(reportsRoutes({ analytics: c.analytics, reports: new PostgresReportStore(c.db), agents: c.agents, clock: c.clock, timeZone: c.config.TIME_ZONE }));
  c.features.forEach((f) => f.apiRoutes?.(api));
  app.use('/api', api);

  const pages = Router();
  c.features.forEach((f) => f.publicRoutes?.(pages));
  app.use(pages);

  app.use((req, res) => {
    res.status(404).json({ error: { code: 'not_found', message: `no route ${req.method} ${req.path}` } });
  });
  app.use(apiErrorHandler(c.logger));
  return app;
}
