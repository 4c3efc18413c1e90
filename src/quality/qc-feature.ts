import type { Container, Feature } from '../container';
import { NotFoundError } from '../errors';
import { PostgresQualityStore } from '../postgres/quality-store';
import { qcRoutes } from './qc-routes';
import { QcService } from './qc-service';

export interface QcFeature extends Feature {
  qc: QcService;
}

/** Quality inspection (质检): the checklist, the weekly sample of answered calls, reviews. */
export function qcFeature(c: Container): QcFeature {
  const qc = new QcService({
    store: new PostgresQualityStore(c.db),
    clock: c.clock,
    timeZone: c.config.TIME_ZONE,
    samplePerWeek: c.config.QC_SAMPLE_PER_WEEK,
    answerThresholdSeconds: c.config.ANSWER_THRESHOLD_SECONDS,
  });
  return {
    name: 'quality',
    qc,
    apiRoutes(router) {
      qcRoutes(router, qc, c.config.TIME_ZONE, () => c.clock.now());
    },
  };
}

/** The QC feature as installed (the console's pages and the monthly report reach it here). */
export function qcOf(c: Container): QcService | null {
  return (c.features.find((f) => f.name === 'quality') as QcFeature | undefined)?.qc ?? null;
}

export function requireQc(c: Container): QcService {
  const qc = qcOf(c);
  if (!qc) throw new NotFoundError('quality inspection is not enabled on this server');
  return qc;
}
