import type { Router } from 'express';
import type { Config } from './config';
import { systemClock, type Clock } from './domain/clock';
import type { Coordinator } from './domain/ports';
import { createLogger, type Logger } from './logger';
import { Metrics } from './metrics/metrics';
import { PostgresAgentStore } from './postgres/agent-store';
import type { NotesWrittenListener } from './postgres/call-notes-store';
import { PostgresCallEndEffectStore } from './postgres/call-end-effect-store';
import { PostgresAnalyticsStore } from './postgres/analytics-store';
import { PostgresCallStore } from './postgres/call-store';
import { databaseCounter } from './postgres/counter-store';
import { pgDb, pgliteDb, type Db } from './postgres/db';
import { FactsCache } from './postgres/facts-cache';
import { watchFactWrites } from './postgres/watch-fact-writes';
import { migrate } from './postgres/migrate';
import { InProcessCoordinator } from './redis/in-process-coordinator';
import { FailoverCoordinator } from './redis/failover-coordinator';
import { RedisCoordinator } from './redis/redis-coordinator';
import { PostgresCoordinator } from './postgres/postgres-coordinator';
import { CallEndOutbox } from './routing/call-end-outbox';
import { HotlineService, type CallEndedListener } from './routing/hotline-service';
import { speaker, type Speaker } from './twiml/hotline-twiml';
import { createTwilioClient, type TwilioClient } from './twilio-client';
import { twilioSms, type SmsSender } from './sms';
import { PostgresAuditStore } from './postgres/audit-store';
import { PostgresRosterStore } from './postgres/roster-store';
import { RosterService } from './roster/roster-service';
import { LastKnownRoster } from './spool/last-known-roster';
import type { SpoolPort } from './spool/spool-feature';
import { CalendarCache } from './holidays/calendar-cache';
import { PostgresHolidayStore } from './postgres/holiday-store';
import { HotlineVoices } from './routing/hotline-voices';
import { WhisperFlagLookup } from './routing/whisper-flag-lookup';
import { PostgresWhisperFlagStore } from './postgres/whisper-flag-store';
import { ChannelSender } from './notify/channels';
import { Notifier } from './notify/notifier';
import { PostgresNotifyStore } from './postgres/notify-store';
import { skipNotesWritten } from './postgres/skip-notes';

/**
 * A feature beyond call routing (callbacks, ratings...) plugs in here: its admin API routes,
 * its Twilio webhooks, its public pages, and anything it runs in the background.
 */
export interface Feature {
  name: string;
  apiRoutes?(router: Router): void;
  webhookRoutes?(router: Router): void;
  publicRoutes?(router: Router): void;
  /** Routes under /api that check their callers themselves (a recording's player), mounted before the bearer check. */
  ownAuthRoutes?(router: Router): void;
  start?(): void;
  stop?(): Promise<void>;
}

export interface Container {
  config: Config;
  clock: Clock;
  logger: Logger;
  db: Db;
  coordinator: Coordinator;
  speaker: Speaker;
  agents: PostgresAgentStore;
  calls: PostgresCallStore;
  analytics: PostgresAnalyticsStore;
  hotline: HotlineService;
  /** The call-ended outbox: runs each listener's effect when a call ends, and retries it until done. */
  callEnds: CallEndOutbox;
  twilio: TwilioClient;
  sms: SmsSender;
  /** Every notice to an agent or the admins: SMS, or WeCom and DingTalk through the outbox (src/notify/). */
  notifier: Notifier;
  /** Who is on duty, on leave, paused; the hunt asks it for each call's candidates. */
  roster: RosterService;
  rosterStore: PostgresRosterStore;
  /** The roster as last read, for calls put through while the database is down. */
  lastKnownRoster: LastKnownRoster;
  /** Calls put through while PostgreSQL is down, and their spool (src/spool/, set by its feature). */
  spool?: SpoolPort;
  /** The roster, blocklist and agents kept in memory: cleared by this instance's own writes and by PostgreSQL's change notices, else read again after 1.5 s. */
  facts: FactsCache;
  /** Prometheus figures of this instance (served at /metrics when METRICS_TOKEN is set). */
  metrics: Metrics;
  /** Told of each committed change to a call's notes (CallNotesStore); features add to it (a complaint opens its case). */
  notesWritten: NotesWrittenListener[];
  features: Feature[];
  /** Holidays and make-up workdays (src/holidays/), in memory: the roster and the callback deadlines read it. */
  calendar: CalendarCache;
  /** Each hotline number's language and greeting, in memory (src/routing/hotline-voices.ts). */
  voices: HotlineVoices;
  close(): Promise<void>;
}

export interface ContainerOverrides {
  clock?: Clock;
  logger?: Logger;
  db?: Db;
  coordinator?: Coordinator;
  twilio?: TwilioClient;
}

/** How long a starting server waits for Redis before it starts coordinating through PostgreSQL. */
const REDIS_START_WAIT_MS = 2_000;

/** With REDIS_URL: Redis, falling back on PostgreSQL while Redis is down. Without: in process. */
async function defaultCoordinator(config: Config, db: Db, clock: Clock, logger: Logger): Promise<Coordinator> {
  if (!config.REDIS_URL) return new InProcessCoordinator(databaseCounter(db, 'rotation'), clock);
  const coordinator = new FailoverCoordinator({
    redis: new RedisCoordinator(config.REDIS_URL, config.REDIS_KEY_PREFIX, { commandTimeoutMs: config.REDIS_COMMAND_TIMEOUT_MS }),
    // The lengths of the hunt's claims (AgentOffers): ring, screen and slack; the talk and slack.
    postgres: new PostgresCoordinator(db, clock, {
      ringMs: (config.AGENT_RING_SECONDS + 5 + config.SCREEN_TIMEOUT_SECONDS + 30) * 1000,
      talkMs: (config.MAX_TALK_SECONDS + 30) * 1000,
    }),
    clock,
    logger,
  });
  await coordinator.start(REDIS_START_WAIT_MS);
  return coordinator;
}

/** Config -> database (real PostgreSQL or embedded PGlite) -> coordination (Redis or in-process) -> services. */
export async function buildContainer(config: Config, o: ContainerOverrides = {}): Promise<Container> {
  const clock = o.clock ?? systemClock;
  const logger = o.logger ?? createLogger(config.LOG_LEVEL);
  const rawDb = o.db ?? (config.DATABASE_URL ? pgDb(config.DATABASE_URL, config.DATABASE_POOL_SIZE) : await pgliteDb(config.PGLITE_DATA_DIR));
  await migrate(rawDb);
  const facts = new FactsCache();
  const db = watchFactWrites(rawDb, () => facts.invalidate());
  let stopNotices: (() => Promise<void>) | undefined;
  const coordinator = o.coordinator ?? (await defaultCoordinator(config, db, clock, logger));
  const say = speaker(config.PROMPT_LANGUAGE, config.PROMPT_VOICE, { recording: config.RECORDING });
  const twilioClient = o.twilio ?? createTwilioClient(config);
  const agents = new PostgresAgentStore(db, clock);
  // Features add call-ended listeners; every call's end owes each one an effect in the outbox.
  const listeners: CallEndedListener[] = [];
  const calls = new PostgresCallStore(db, () => listeners.map((l) => l.name));
  const callEnds = new CallEndOutbox({ effects: new PostgresCallEndEffectStore(db), calls, listeners, clock, logger });
  const sms = twilioSms(twilioClient, config.SMS_FROM, logger);
  const notifier = new Notifier({
    store: new PostgresNotifyStore(db),
    sms,
    channels: new ChannelSender({ wecomBaseUrl: config.WECOM_API_BASE_URL, dingtalkBaseUrl: config.DINGTALK_API_BASE_URL, clock }),
    clock,
    logger,
    smsLanguage: config.PROMPT_LANGUAGE,
    adminPhones: config.ADMIN_ALERT_PHONES,
    linkSecret: config.LINK_SECRET,
    linkTtlHours: config.LINK_TTL_HOURS,
    pageTtlHours: config.AGENT_PAGE_TTL_HOURS,
    publicBaseUrl: config.PUBLIC_BASE_URL,
    timeZone: config.TIME_ZONE,
    maxAttempts: config.NOTIFY_MAX_ATTEMPTS,
  });
  const rosterStore = new PostgresRosterStore(db);
  const calendar = new CalendarCache(new PostgresHolidayStore(db), config.HOLIDAYS, () => facts.invalidate());
  await calendar.reload();
  const roster = new RosterService({
    db,
    store: rosterStore,
    agents,
    calls,
    audit: new PostgresAuditStore(db),
    notifier,
    clock,
    logger,
    rules: { timeZone: config.TIME_ZONE, holidays: config.HOLIDAYS, calendar },
    autoPauseAfter: config.AUTO_PAUSE_AFTER,
    autoPauseResumeMinutes: config.AUTO_PAUSE_RESUME_MINUTES || undefined,
    language: config.PROMPT_LANGUAGE,
  });
  const lastKnownRoster = new LastKnownRoster(roster, facts);
  const voices = new HotlineVoices(say, () => rosterStore.listHotlines(), { recording: config.RECORDING });
  await voices.reload();
  const hotline = new HotlineService({
    settings: {
      publicBaseUrl: config.PUBLIC_BASE_URL,
      answerThresholdSeconds: config.ANSWER_THRESHOLD_SECONDS,
      agentRingSeconds: config.AGENT_RING_SECONDS,
      maxCallerWaitSeconds: config.MAX_CALLER_WAIT_SECONDS,
      screenTimeoutSeconds: config.SCREEN_TIMEOUT_SECONDS,
      maxTalkSeconds: config.MAX_TALK_SECONDS,
      greetingBeforeRing: config.GREETING_BEFORE_RING,
      holdMusicUrl: config.HOLD_MUSIC_URL,
      recording: config.RECORDING,
    },
    agents,
    calls,
    coordinator,
    clock,
    speaker: say,
    logger,
    listeners,
    callEnds,
    roster: lastKnownRoster,
    voices,
    facts,
    whisperFlags: new WhisperFlagLookup(new PostgresWhisperFlagStore(db), config.TIME_ZONE, logger),
    redirectCall: async (callSid, url) => {
      await twilioClient.calls(callSid).update({ url, method: 'POST' });
    },
  });
  const container: Container = {
    config,
    clock,
    logger,
    db,
    coordinator,
    speaker: say,
    agents,
    calls,
    analytics: new PostgresAnalyticsStore(db),
    hotline,
    callEnds,
    twilio: twilioClient,
    sms,
    notifier,
    roster,
    rosterStore,
    lastKnownRoster,
    facts,
    metrics: new Metrics({ db, coordinator, clock, facts, moves: hotline.moves }),
    notesWritten: [],
    features: [],
    calendar,
    voices,
    async close() {
      for (const f of container.features) await f.stop?.();
      await coordinator.close();
      await stopNotices?.();
      await skipNotesWritten();
      if (!o.db) await db.close();
    },
  };
  // Other instances' changes to the facts, as PostgreSQL announces them (migration 0019): started
  // last, once nothing above can throw, so close() always stops it.
  stopNotices = rawDb.listen?.('threering_facts', { notice: () => facts.invalidate(), up: (up) => facts.noticesUp(up) });
  return container;
}
