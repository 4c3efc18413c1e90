import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Express } from 'express';
import nock from 'nock';
import request from 'supertest';
import { createApp } from '../../src/app';
import { loadConfig, type Config } from '../../src/config';
import { buildContainer, type Container } from '../../src/container';
import { installFeatures } from '../../src/features';
import { createLogger } from '../../src/logger';
import type { CallbackFeature } from '../../src/callbacks/callback-feature';
import type { Coordinator } from '../../src/domain/ports';
import { PostgresCoordinator } from '../../src/postgres/postgres-coordinator';
import { FailoverCoordinator } from '../../src/redis/failover-coordinator';
import { RedisCoordinator } from '../../src/redis/redis-coordinator';
import type { CallSettlerFeature } from '../../src/routing/call-settler-feature';
import { REPLAY_SECONDS, ROSTER_REFRESH_SECONDS } from '../../src/spool/spool-feature';
import { scratchRedisPrefix } from '../../scripts/scratch-database';
import { freshCoordinator, freshDatabase, realRedisUrl, type TestDatabase } from './backends';
import { DatabaseSwitch, RedisSwitch } from './faults';
import { ManualClock } from './manual-clock';
import type { Network } from '../../src/simulator/twilio-model';
import { TwilioDriver } from './twilio-driver';
import { traceClaims } from './claim-trace';

export const AUTH_TOKEN = 'test-auth-token-0123456789abcdef';
export const ADMIN_TOKEN = 'test-admin-token-0123456789';
export const ACCOUNT_SID = 'AC' + 'a1'.repeat(16);
export const PUBLIC_BASE_URL = 'https://hotline.example.test';
export const TWILIO_API = 'https://api.twilio.com';
export const HOTLINE = '+864008001234';

export interface Hotline {
  app: Express;
  container: Container;
  /** Every instance (the first is `app`/`container`), sharing one database and one coordinator. */
  instances: { app: Express; container: Container }[];
  config: Config;
  clock: ManualClock;
  twilio: TwilioDriver;
  api: ApiClient;
  /** With `faults`: PostgreSQL (every instance's) and Redis (every instance's connection) to switch off and on. */
  faults?: { database: DatabaseSwitch; redis: RedisSwitch[] };
  /** Background work that failed (as BackgroundLoop logs it and carries on): when, which loop, which instance, why. */
  backgroundFailures: { at: Date; loop: string; instance: number; error: string }[];
  close(): Promise<void>;
}

/** A whole server (real database, real coordination, signed webhooks) with its clock in the test's hand. */
export interface HotlineOptions {
  /** Server instances sharing the database and the coordinator; Twilio's requests go to any of them. */
  instances?: number;
  /** How Twilio's requests travel (late, twice, to which instance); default: in order, to the first. */
  network?: Network;
  /**
   * 'per-instance': each instance its own coordinator, as two servers have. With REDIS_URL: its
   * own connection to that Redis (one key prefix), falling back on PostgreSQL as in production
   * (src/container.ts); without it the in-process coordinator cannot be shared between servers,
   * so the instances still share one. Default 'shared': one coordinator object for all.
   */
  coordinators?: 'shared' | 'per-instance';
  /**
   * Every instance's background loops on the model's clock, at their configured intervals: the
   * waiting line's sweep (always), and with this the call settler, the call-end outbox's retries,
   * the spool's replay and the callback scheduler (its SMS, deadlines and fines).
   */
  background?: boolean;
  /** Outage switches (`Hotline.faults`); with REDIS_URL, implies a failover coordinator per instance. */
  faults?: boolean;
}

/** The server's settings in tests: Twilio's account and token, the admin token and the public URL the signatures use, errors-only logs; `env` adds or overrides. */
export function testConfig(env: Record<string, string> = {}): Config {
  // Recording is on in production by default; flows whose prompts and timings predate it leave it off (test/e2e/recordings.test.ts turns it on).
  return loadConfig({ NODE_ENV: 'test', PUBLIC_BASE_URL, TWILIO_ACCOUNT_SID: ACCOUNT_SID, TWILIO_AUTH_TOKEN: AUTH_TOKEN, ADMIN_TOKEN, LOG_LEVEL: 'error', RECORDING: 'off', ...env });
}

export async function startHotline(env: Record<string, string> = {}, start?: string, opts: HotlineOptions = {}): Promise<Hotline> {
  const clock = new ManualClock(start);
  // Features reach Twilio's REST API in the background (SMS to agents): nothing leaves the machine
  // unless a test intercepts it with nock; the app itself is reached over loopback.
  nock.disableNetConnect();
  nock.enableNetConnect('127.0.0.1');
  const testDb: TestDatabase = await freshDatabase();
  // Each hotline its own spool: test files run side by side.
  const spoolDir = mkdtempSync(join(tmpdir(), 'threering-spool-'));
  const config = testConfig({
    // Flows that let agents miss calls on purpose would otherwise pause them (the roster's
    // auto-pause); test/e2e/roster.test.ts sets it back to the default of 2.
    AUTO_PAUSE_AFTER: '50',
    SPOOL_DIR: spoolDir,
    ...env,
  });
  const logger = createLogger(process.env.TEST_LOGS ? 'info' : 'error', !process.env.TEST_LOGS);
  const database = opts.faults ? new DatabaseSwitch(testDb.db) : undefined;
  const redisSwitches: RedisSwitch[] = [];
  const ownCoordinators = Boolean(realRedisUrl) && (opts.coordinators === 'per-instance' || opts.faults);
  const redisKeys = ownCoordinators ? scratchRedisPrefix(realRedisUrl!, 'test') : undefined;
  const shared = ownCoordinators ? undefined : freshCoordinator(testDb.db, clock);
  const coordinatorFor = async (i: number): Promise<Coordinator> => traceClaims(await coordinatorOf(), i, clock);
  const coordinatorOf = async (): Promise<Coordinator> => {
    if (shared) return shared;
    // As src/container.ts builds it for a server with REDIS_URL, probing Redis more often (virtual time runs fast).
    const redis = new RedisCoordinator(realRedisUrl!, redisKeys!.prefix, { commandTimeoutMs: config.REDIS_COMMAND_TIMEOUT_MS });
    if (opts.faults) redisSwitches.push(new RedisSwitch(redis));
    const ringMs = (config.AGENT_RING_SECONDS + 5 + config.SCREEN_TIMEOUT_SECONDS + 30) * 1000;
    const postgres = new PostgresCoordinator(testDb.db, clock, { ringMs, talkMs: (config.MAX_TALK_SECONDS + 30) * 1000 });
    const failover = new FailoverCoordinator({ redis, postgres, clock, logger, probeMs: 50, graceMs: 500 });
    await failover.start(5_000);
    return failover;
  };
  const instances: { app: Express; container: Container }[] = [];
  for (let i = 0; i < (opts.instances ?? 1); i++) {
    const c = await buildContainer(config, { clock, db: testDb.db, coordinator: await coordinatorFor(i), logger });
    installFeatures(c);
    instances.push({ app: createApp(c), container: c });
  }
  const { app, container } = instances[0]!;
  const driver = new TwilioDriver(
    instances.map((x) => x.app),
    AUTH_TOKEN,
    PUBLIC_BASE_URL,
    clock,
    opts.network,
  );
  // The background loops, as each server runs them (src/background-loop.ts), in virtual time: a
  // failed run is noted and the next comes at the next interval.
  const backgroundFailures: Hotline['backgroundFailures'] = [];
  const every = (i: number, loop: string, seconds: number, work: () => Promise<unknown>) =>
    driver.timeline.every(seconds, () =>
      work().catch((err: unknown) => backgroundFailures.push({ at: clock.now(), loop, instance: i, error: (err as Error)?.message ?? String(err) })),
    );
  for (const [i, x] of instances.entries()) {
    const c = x.container;
    every(i, 'waiting-line sweep', config.WAITING_LINE_SWEEP_SECONDS, () => c.hotline.sweepLines());
    if (!opts.background) continue;
    const settler = (c.features.find((f) => f.name === 'call-settler') as CallSettlerFeature).settler;
    const scheduler = (c.features.find((f) => f.name === 'callbacks') as CallbackFeature).scheduler;
    every(i, 'call settler', config.CALL_SETTLE_SECONDS, () => settler.settleStale(clock.now()));
    every(i, 'call-end outbox', config.OUTBOX_RETRY_SECONDS, () => c.callEnds.retryDue());
    every(i, 'last-known roster', ROSTER_REFRESH_SECONDS, () => c.lastKnownRoster.refreshAll(clock.now()).catch(() => undefined));
    every(i, 'spool replay', REPLAY_SECONDS, () => c.spool?.replayer.tick() ?? Promise.resolve());
    every(i, 'callback scheduler', config.SCHEDULER_INTERVAL_SECONDS, () => scheduler.runDue(clock.now()));
  }
  return {
    app,
    container,
    instances,
    config,
    clock,
    twilio: driver,
    api: new ApiClient(app, ADMIN_TOKEN),
    faults: database ? { database, redis: redisSwitches } : undefined,
    backgroundFailures,
    async close() {
      // Interceptors hold on to this hotline's driver: the next test's must not reach it.
      nock.cleanAll();
      database?.up();
      for (const r of redisSwitches) r.set(false);
      for (const x of [...instances].reverse()) await x.container.close();
      await redisKeys?.cleanup().catch(() => undefined);
      database?.restore();
      await testDb.drop();
      rmSync(spoolDir, { recursive: true, force: true });
    },
  };
}

/** The admin JSON API, with the bearer token. */
export class ApiClient {
  constructor(
    private readonly app: Express,
    private readonly token: string,
  ) {}

  get(path: string) {
    return request(this.app).get(path).set('Authorization', `Bearer ${this.token}`);
  }
  post(path: string, body?: object) {
    return request(this.app).post(path).set('Authorization', `Bearer ${this.token}`).send(body ?? {});
  }
  patch(path: string, body: object) {
    return request(this.app).patch(path).set('Authorization', `Bearer ${this.token}`).send(body);
  }
  put(path: string, body: object) {
    return request(this.app).put(path).set('Authorization', `Bearer ${this.token}`).send(body);
  }
  delete(path: string) {
    return request(this.app).delete(path).set('Authorization', `Bearer ${this.token}`);
  }

  async addAgent(name: string, phone: string, extra: object = {}): Promise<{ id: string; phone: string; name: string }> {
    const res = await this.post('/api/agents', { name, phone, ...extra });
    if (res.status !== 201) throw new Error(`addAgent ${res.status} ${res.text}`);
    return res.body;
  }
}
