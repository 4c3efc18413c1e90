import { randomUUID } from 'node:crypto';
import { Gauge } from 'prom-client';
import { BackgroundLoop } from '../background-loop';
import { maskPhone } from '../domain/endpoint';
import type { PromptLanguage } from '../twiml/prompts';
import type { Container, Feature } from '../container';
import { PostgresSpoolBacklogStore } from '../postgres/spool-backlog-store';
import { DegradedCalls } from './degraded-calls';
import { SpoolFile } from './spool-file';
import { SpoolReplayer } from './spool-replayer';

/** How often the replayer looks for spooled events (with none, it reports its spool empty: see SpoolReplayer.tick). */
export const REPLAY_SECONDS = 2;
/** How often the roster kept for outages (LastKnownRoster) is read again while the database answers. */
export const ROSTER_REFRESH_SECONDS = 5;
/** An instance whose spool has not reported for this long is taken as gone (stopped): it holds nothing back. */
const BACKLOG_FRESH_SECONDS = 60;
/** Rows of stopped instances are deleted after this long. */
const BACKLOG_STALE_SECONDS = 24 * 3600;

/** What the web layer needs of the spool: the hunt without a database, and the depth for readiness. */
export interface SpoolPort {
  file: SpoolFile;
  degraded: DegradedCalls;
  replayer: SpoolReplayer;
  depth(): number;
  /**
   * Whether this instance's spool holds events, or another instance's holds one from `before` or
   * earlier (noted in the database at each replay pass): not yet on record.
   */
  holdsEventsBefore(before: Date, now: Date): Promise<boolean>;
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
    voiceFor: (hotlineNumber) => c.voices.forNumber(hotlineNumber),
    logger: c.logger,
    settings: {
      publicBaseUrl: c.config.PUBLIC_BASE_URL,
      answerThresholdSeconds: c.config.ANSWER_THRESHOLD_SECONDS,
      agentRingSeconds: c.config.AGENT_RING_SECONDS,
      maxCallerWaitSeconds: c.config.MAX_CALLER_WAIT_SECONDS,
      screenTimeoutSeconds: c.config.SCREEN_TIMEOUT_SECONDS,
      maxTalkSeconds: c.config.MAX_TALK_SECONDS,
      fallbackNumber: c.config.FALLBACK_NUMBER,
      recording: c.config.RECORDING,
    },
  });
  const instanceId = randomUUID();
  const backlogs = new PostgresSpoolBacklogStore(c.db);
  const replayer = new SpoolReplayer({
    spool,
    backlog: { note: (oldestAt, at) => backlogs.note(instanceId, oldestAt, at, new Date(at.getTime() - BACKLOG_STALE_SECONDS * 1000)) },
    calls: c.calls,
    callEnds: c.callEnds,
    coordinator: c.coordinator,
    clock: c.clock,
    answerThresholdSeconds: c.config.ANSWER_THRESHOLD_SECONDS,
    logger: c.logger,
    outcomes: c.hotline,
    alertSetAside: (count, path, hotlineNumber) => alertAdmins(c, count, path, hotlineNumber),
  });
  c.spool = {
    file: spool,
    degraded,
    replayer,
    depth: () => spool.depth(),
    holdsEventsBefore: async (before, now) => spool.depth() > 0 || backlogs.holdsEventsBefore(before, new Date(now.getTime() - BACKLOG_FRESH_SECONDS * 1000)),
  };
  new Gauge({
    name: 'threering_spool_depth',
    help: 'Events of calls put through while PostgreSQL was down, spooled on this instance and not yet written to the database',
    registers: [c.metrics.registry],
    collect() {
      this.set(spool.depth());
    },
  });
  const loop = new BackgroundLoop('spool replay', REPLAY_SECONDS, () => replayer.tick(), c.logger);
  // With the database down the list stays as last read: that is what it is kept for.
  const rosterLoop = new BackgroundLoop('last-known roster', ROSTER_REFRESH_SECONDS, () => c.lastKnownRoster.refreshAll(c.clock.now()).catch(() => undefined), c.logger);
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
      rosterLoop.start();
    },
    stop: async () => {
      await Promise.all([loop.stop(), rosterLoop.stop()]);
    },
  };
}

const SET_ASIDE_TEXT: Record<PromptLanguage, (count: number, path: string) => string> = {
  'zh-CN': (count, path) => `ThreeRing：${count} 条断库期间的通话记录被数据库拒收，已另存于 ${path}，请尽快查看。`,
  'en-US': (count, path) => `ThreeRing: the database refused ${count} call event(s) kept during an outage; they were set aside in ${path}. Please look at them.`,
};

/** Texts the admins (ADMIN_ALERT_PHONES) that spooled events were set aside; a failed text is logged, never thrown. */
async function alertAdmins(c: Container, count: number, path: string, hotlineNumber?: string): Promise<void> {
  // Sent from SMS_FROM, else from a number this hotline answers (as its other texts are); to the
  // alerts channel instead when one is chosen and the database can say so.
  const from = hotlineNumber ?? c.lastKnownRoster.numbers().find(Boolean);
  const onError = (phone: string, err: unknown) => c.logger.error('spool: set-aside alert not sent to an admin', { to: maskPhone(phone), err });
  const told = await c.notifier.toAdmins('spool-set-aside', SET_ASIDE_TEXT[c.config.PROMPT_LANGUAGE](count, path), { from, onError }).catch((err: unknown) => {
    c.logger.error('spool: set-aside alert not queued', { err });
    return 0;
  });
  if (told === 0 && c.config.ADMIN_ALERT_PHONES.length === 0) c.logger.error('spool: events were set aside and ADMIN_ALERT_PHONES is empty', { count, path });
}
