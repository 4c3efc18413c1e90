import { BackgroundLoop } from '../background-loop';
import type { Container, Feature } from '../container';
import { PostgresAccountStore } from '../postgres/account-store';
import { PostgresApiTokenStore } from '../postgres/api-token-store';
import { PostgresAuditStore } from '../postgres/audit-store';
import { PostgresRecordingStore } from '../postgres/recording-store';
import { listenAccess } from './listen-access';
import { listenRoute, recordingApiRoutes } from './recording-routes';
import { RecordingService } from './recording-service';
import { recordingWebhook } from './recording-webhook';
import { TwilioMedia } from './twilio-media';

export interface RecordingFeature extends Feature {
  service: RecordingService;
  media: TwilioMedia;
}

/** Recordings (R12): stored from Twilio's callbacks, heard only through the product, deleted when policy says. */
export function recordingFeature(c: Container): RecordingFeature {
  const media = new TwilioMedia({ accountSid: c.config.TWILIO_ACCOUNT_SID, authToken: c.config.TWILIO_AUTH_TOKEN, apiBaseUrl: c.config.TWILIO_API_BASE_URL });
  const service = new RecordingService({
    store: new PostgresRecordingStore(c.db),
    audit: new PostgresAuditStore(c.db),
    media,
    clock: c.clock,
    logger: c.logger,
    retentionDays: c.config.RECORDING_RETENTION_DAYS,
    linkSecret: c.config.LINK_SECRET,
    linkTtlHours: c.config.LINK_TTL_HOURS,
    publicBaseUrl: c.config.PUBLIC_BASE_URL,
  });
  const access = listenAccess({ adminToken: c.config.ADMIN_TOKEN, tokens: new PostgresApiTokenStore(c.db), accounts: new PostgresAccountStore(c.db), clock: c.clock, linkSecret: c.config.LINK_SECRET });
  // Reports spooled while the database was down are kept at the replay.
  c.spool?.replayer.onRecording((r) => service.replayReported(r));
  const loop = new BackgroundLoop('recording retention', c.config.RECORDING_SWEEP_SECONDS, () => service.sweep(), c.logger);
  return {
    name: 'recordings',
    service,
    media,
    webhookRoutes(router) {
      recordingWebhook(router, service, { spool: () => c.spool?.file, clock: c.clock, logger: c.logger });
    },
    ownAuthRoutes(router) {
      router.use(listenRoute(access, service, media, c.logger));
    },
    apiRoutes(router) {
      recordingApiRoutes(router, service);
    },
    start: () => loop.start(true),
    stop: () => loop.stop(),
  };
}

/** The recordings feature as installed (the console's call page and the callbacks' voice messages reach it here). */
export function recordingsOf(c: Container): RecordingFeature | null {
  return (c.features.find((f) => f.name === 'recordings') as RecordingFeature | undefined) ?? null;
}
