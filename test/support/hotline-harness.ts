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
import { freshCoordinator, freshDatabase, type TestDatabase } from './backends';
import { ManualClock } from './manual-clock';
import type { Network } from '../../src/simulator/twilio-model';
import { TwilioDriver } from './twilio-driver';

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
  close(): Promise<void>;
}

/** A whole server (real database, real coordination, signed webhooks) with its clock in the test's hand. */
export interface HotlineOptions {
  /** Server instances sharing the database and the coordinator; Twilio's requests go to any of them. */
  instances?: number;
  /** How Twilio's requests travel (late, twice, to which instance); default: in order, to the first. */
  network?: Network;
}

/** The server's settings in tests: Twilio's account and token, the admin token and the public URL the signatures use, errors-only logs; `env` adds or overrides. */
export function testConfig(env: Record<string, string> = {}): Config {
  return loadConfig({ NODE_ENV: 'test', PUBLIC_BASE_URL, TWILIO_ACCOUNT_SID: ACCOUNT_SID, TWILIO_AUTH_TOKEN: AUTH_TOKEN, ADMIN_TOKEN, LOG_LEVEL: 'error', ...env });
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
  const coordinator = freshCoordinator(testDb.db, clock);
  const logger = createLogger(process.env.TEST_LOGS ? 'info' : 'error', !process.env.TEST_LOGS);
  const instances: { app: Express; container: Container }[] = [];
  for (let i = 0; i < (opts.instances ?? 1); i++) {
    const c = await buildContainer(config, { clock, db: testDb.db, coordinator, logger });
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
  // The waiting line's sweep, as each server runs it (WAITING_LINE_SWEEP_SECONDS), in virtual time.
  for (const x of instances) driver.timeline.every(config.WAITING_LINE_SWEEP_SECONDS, () => x.container.hotline.promoteWaiting());
  return {
    app,
    container,
    instances,
    config,
    clock,
    twilio: driver,
    api: new ApiClient(app, ADMIN_TOKEN),
    async close() {
      // Interceptors hold on to this hotline's driver: the next test's must not reach it.
      nock.cleanAll();
      for (const x of [...instances].reverse()) await x.container.close();
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
