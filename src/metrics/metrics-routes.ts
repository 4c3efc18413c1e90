import { createHash, timingSafeEqual } from 'node:crypto';
import { Router } from 'express';
import type { Logger } from '../logger';
import type { Metrics } from './metrics';

const digest = (s: string) => createHash('sha256').update(s).digest();

/**
 * GET /metrics for Prometheus. Off (404, as if absent) while METRICS_TOKEN is unset; with it,
 * only `Authorization: Bearer <METRICS_TOKEN>` gets the figures (401 otherwise): the port is the
 * public one Twilio reaches, and the figures describe the business.
 */
export function metricsRoutes(metrics: Metrics, token: string | undefined, logger: Logger): Router {
  const router = Router();
  if (!token) return router;
  const expected = digest(`Bearer ${token}`);
  router.get('/metrics', async (req, res) => {
    if (!timingSafeEqual(digest(req.header('authorization') ?? ''), expected)) {
      res.status(401).set('WWW-Authenticate', 'Bearer').json({ error: { code: 'unauthorized', message: 'Authorization: Bearer <METRICS_TOKEN> required' } });
      return;
    }
    try {
      const { contentType, body } = await metrics.render();
      res.set('Content-Type', contentType).set('Cache-Control', 'no-store').send(body);
    } catch (err) {
      logger.error('metrics scrape failed', { err });
      res.status(503).type('text/plain').send('# metrics unavailable: a store did not answer\n');
    }
  });
  return router;
}
