import { Gauge } from 'prom-client';
import { BackgroundLoop } from '../background-loop';
import type { Container, Feature } from '../container';
import { DegradedCalls } from './degraded-calls';
import { SpoolFile } from './spool-file';
import { SpoolReplayer } from './spool-replayer';

/** How often the replayer looks for spooled events (it does nothing while the spool is empty). */
export const REPLAY_SECONDS = 2;

/** What the web layer needs of the spool: the hunt without a database, and the depth for readiness. */
export interface SpoolPort {
  file: SpoolFile;
  degraded: DegradedCalls;
  replayer: SpoolReplayer;
  depth(): number;
}

/**
 * Calls while PostgreSQL is down: a caller is still put through (DegradedCalls), each step is
 * spooled to SPOOL_DIR and fsync'd before Twilio is answered, and a background loop writes the
 * spool to the database once it answers again (SpoolReplayer). See README "When Redis or
 * PostgreSQL is down".
 */
export function spoolFeature(c: Container): Feature {
  const spool = SpoolFile.shared(c.config.SPOOL_DIR);
  const degraded = new DegradedCalls({
    spool,
    roster: c.lastKnownRoster,
    coordinator: c.coordinator,
    clock: c.clock,
    speaker: c.speaker,
    logger: c.logger,
    settings: {
      publicBaseUrl: c.config.PUBLIC_BASE_URL,
      answerThresholdSeconds: c.config.ANSWER_THRESHOLD_SECONDS,
      agentRingSeconds: c.config.AGENT_RING_SECONDS,
      maxCallerWaitSeconds: c.config.MAX_CALLER_WAIT_SECONDS,
      screenTimeoutSeconds: c.config.SCREEN_TIMEOUT_SECONDS,
      maxTalkSeconds: c.config.MAX_TALK_SECONDS,
      fallbackNumber: c.config.FALLBACK_NUMBER,
    },
  });
  const replayer = new SpoolReplayer({
    spool,
    calls: c.calls,
    callEnds: c.callEnds,
    coordinator: c.coordinator,
    clock: c.clock,
    answerThresholdSeconds: c.config.ANSWER_THRESHOLD_SECONDS,
    logger: c.logger,
    outcomes: c.hotline,
  });
  c.spool = { file: spool, degraded, replayer, depth: () => spool.depth() };
  new Gauge({
    name: 'threering_spool_depth',
    help: 'Events of calls put through while PostgreSQL was down, spooled on this instance and not yet written to the database',
    registers: [c.metrics.registry],
    collect() {
      this.set(spool.depth());
    },
  });
  const loop = new BackgroundLoop('spool replay', REPLAY_SECONDS, () => (spool.depth() > 0 ? replayer.replayOnce() : Promise.resolve()), c.logger);
  return {
    name: 'spool',
    start() {
      // Reports a line torn by a crash, and learns the roster before the first call needs it.
      spool.open().then(
        (torn) => torn > 0 && c.logger.warn('spool: cut off a last line torn by a crash', { bytes: torn, path: spool.path }),
        (err) => c.logger.error('spool: cannot open SPOOL_DIR', { err, dir: c.config.SPOOL_DIR }),
      );
      c.lastKnownRoster.refresh('', c.clock.now()).catch((err) => c.logger.warn('could not read the roster at start', { err }));
      loop.start(true);
    },
    stop: () => loop.stop(),
  };
}
