import { execFileSync } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Express } from 'express';
import nock from 'nock';
import request from 'supertest';
import twilio from 'twilio';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../src/app';
import { buildContainer, type Container } from '../../src/container';
import { installFeatures } from '../../src/features';
import { createLogger } from '../../src/logger';
import { databaseCounter } from '../../src/postgres/counter-store';
import { pgDb } from '../../src/postgres/db';
import { InProcessCoordinator } from '../../src/redis/in-process-coordinator';
import { RedisCoordinator } from '../../src/redis/redis-coordinator';
import { realDatabaseUrl, realRedisUrl } from '../support/backends';
import { ACCOUNT_SID, ADMIN_TOKEN, AUTH_TOKEN, HOTLINE, PUBLIC_BASE_URL, TWILIO_API, testConfig } from '../support/hotline-harness';
import { ManualClock } from '../support/manual-clock';
import { interceptTwilioRest } from '../support/outbound-call';
import { randomSid } from '../support/twilio-driver';
import { deleteKeys } from '../../scripts/scratch-database';

/**
 * PostgreSQL stopped under a live hotline: a private cluster (initdb + pg_ctl as the postgres
 * user, on port 5441) so the shared one is never touched. Runs with the services pass
 * (DATABASE_URL set) where the PostgreSQL binaries are installed; skipped otherwise.
 */
const PG_BIN = process.env.PG_BIN ?? '/usr/lib/postgresql/15/bin';
const PORT = 5441;
const canRun = Boolean(realDatabaseUrl) && existsSync(join(PG_BIN, 'initdb')) && existsSync(join(PG_BIN, 'pg_ctl'));

const CALLER = '+8613911112222';
const AGENT = '+8613800000001';
const DUTY = '+861012345678';
const METRICS_TOKEN = 'test-metrics-token-0123456789';

/** Runs a PostgreSQL binary as the postgres user (the server refuses to run as root). */
function asPostgres(bin: string, args: string[]): void {
  const root = process.getuid?.() === 0;
  const [cmd, argv] = root ? ['runuser', ['-u', 'postgres', '--', join(PG_BIN, bin), ...args]] : [join(PG_BIN, bin), args];
  execFileSync(cmd, argv, { stdio: 'pipe', timeout: 60_000 });
}

describe.skipIf(!canRun)('a caller who arrives while PostgreSQL is down (a private cluster, stopped)', () => {
  let dir: string;
  let data: string;
  let c: Container;
  const redisPrefix = `threering-test:pgspool${Date.now()}:`;
  let app: Express;
  const clock = new ManualClock();
  const pgCtl = (...args: string[]) => asPostgres('pg_ctl', ['-D', data, ...args]);
  const startPostgres = () => pgCtl('-o', `-p ${PORT} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off`, '-l', join(dir, 'log'), '-w', 'start');

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'threering-pg-'));
    data = join(dir, 'data');
    if (process.getuid?.() === 0) chownSync(dir, Number(execFileSync('id', ['-u', 'postgres']).toString().trim()), 0);
    asPostgres('initdb', ['-D', data, '-A', 'trust', '-U', 'postgres', '--no-sync']);
    startPostgres();
    const url = `postgres://postgres@127.0.0.1:${PORT}/postgres`;
    const config = testConfig({
      METRICS_TOKEN,
      DATABASE_URL: url,
      FALLBACK_NUMBER: DUTY,
      SPOOL_DIR: join(dir, 'spool'),
    });
    nock.disableNetConnect();
    nock.enableNetConnect('127.0.0.1');
    interceptTwilioRest(TWILIO_API, ACCOUNT_SID);
    const db = pgDb(url, 5);
    const coordinator = realRedisUrl ? new RedisCoordinator(realRedisUrl, redisPrefix) : new InProcessCoordinator(databaseCounter(db, 'rotation'), clock);
    c = await buildContainer(config, { clock, db, coordinator, logger: createLogger('error', true) });
    installFeatures(c);
    app = createApp(c);
  }, 120_000);

  afterAll(async () => {
    nock.cleanAll();
    await c?.close();
    await c?.db.close().catch(() => undefined);
    if (realRedisUrl) await deleteKeys(realRedisUrl, redisPrefix);
    if (data && existsSync(join(data, 'postmaster.pid'))) pgCtl('-m', 'immediate', '-w', 'stop');
    if (dir) rmSync(dir, { recursive: true, force: true });
  }, 60_000);

  const post = (path: string, params: Record<string, string>) => {
    const url = `${PUBLIC_BASE_URL}/webhooks/voice/${path}`;
    return request(app)
      .post(`/webhooks/voice/${path}`)
      .type('form')
      .set('X-Twilio-Signature', twilio.getExpectedTwilioSignature(AUTH_TOKEN, url, params))
      .send(params);
  };
  const api = (path: string) => request(app).get(path).set('Authorization', `Bearer ${ADMIN_TOKEN}`);

  it('rings the agent, then the duty number, with valid TwiML; once PostgreSQL is back the call is on record, missed, with a callback', async () => {
    const added = await request(app).post('/api/agents').set('Authorization', `Bearer ${ADMIN_TOKEN}`).send({ name: 'Agent A', phone: AGENT });
    expect(added.status).toBe(201);
    // What the spool feature does at start: read the roster once before any call needs it.
    await c.lastKnownRoster.refresh(HOTLINE, clock.now());

    pgCtl('-m', 'fast', '-w', 'stop');
    const callSid = randomSid('CA');
    const arrived = clock.now();
    const incoming = await post('incoming', { CallSid: callSid, From: CALLER, To: HOTLINE });
    expect(incoming.status).toBe(200);
    expect(incoming.type).toBe('text/xml');
    expect(incoming.text).toMatch(new RegExp(`^<\\?xml[^>]*\\?><Response><Dial [^>]*answerOnBridge="true"[^>]*><Number [^>]*>\\${AGENT}</Number></Dial></Response>$`));
    const attempt = /dial-result\?attempt=([0-9a-f-]{36})/.exec(incoming.text)![1]!;

    const child = randomSid('CA');
    clock.advance(1);
    expect((await post(`leg-status?attempt=${attempt}`, { CallSid: child, CallStatus: 'ringing', SequenceNumber: '1' })).status).toBe(204);
    clock.advance(15);
    expect((await post(`leg-status?attempt=${attempt}`, { CallSid: child, CallStatus: 'no-answer', SequenceNumber: '2' })).status).toBe(204);
    const next = await post(`dial-result?attempt=${attempt}`, { CallSid: callSid, CallStatus: 'in-progress', DialCallStatus: 'no-answer' });
    expect(next.status).toBe(200);
    expect(next.text).toContain(`<Dial timeout="30">${DUTY}</Dial>`);
    clock.advance(40);
    expect((await post('status', { CallSid: callSid, CallStatus: 'completed', SequenceNumber: '3' })).status).toBe(204);

    const degraded = await request(app).get('/readyz');
    expect(degraded.status).toBe(200);
    expect(degraded.body).toMatchObject({ status: 'degraded', spool: { depth: 7 } });
    expect(degraded.body.checks.database).not.toBe('ok');

    // The operator's scrape still answers while PostgreSQL is down, with the spool depth.
    const metrics = await request(app).get('/metrics').set('Authorization', `Bearer ${METRICS_TOKEN}`);
    expect(metrics.status).toBe(200);
    expect(metrics.text).toMatch(/^threering_spool_depth 7$/m);
    expect(metrics.text).toMatch(/^threering_metrics_database_read_errors_total [1-9]\d*$/m);
    startPostgres();
    clock.advance(60);
    expect(await c.spool!.replayer.replayOnce()).toEqual({ replayed: 7, setAside: 0, left: 0 });

    const calls = (await api('/api/calls').expect(200)).body.calls as { callSid?: string; id: string; outcome: string; startedAt: string }[];
    const call = (await c.calls.getCallBySid(callSid))!;
    expect(call).toMatchObject({ state: 'ended', outcome: 'missed', missedReason: 'database-down-duty-number' });
    expect(call.startedAt).toEqual(arrived);
    expect(calls.map((x) => x.id)).toContain(call.id);
    const [ring] = await c.calls.attemptsOf(call.id);
    expect(ring).toMatchObject({ id: attempt, outcome: 'no-answer', ringingAt: new Date(arrived.getTime() + 1000) });
    const callbacks = (await api('/api/callbacks').expect(200)).body.callbacks as { callIds: string[] }[];
    expect(callbacks.map((cb) => cb.callIds)).toEqual([[call.id]]);
    expect((await request(app).get('/readyz')).body).toMatchObject({ status: 'ready', spool: { depth: 0 } });
  }, 120_000);

  it('a talk when PostgreSQL stops, ended by the agent during the outage, is on record answered once it is back, and the agent is rung for the next caller', async () => {
    const callSid = randomSid('CA');
    const attempt = /dial-result\?attempt=([0-9a-f-]{36})/.exec((await post('incoming', { CallSid: callSid, From: CALLER, To: HOTLINE })).text)![1]!;
    const child = randomSid('CA');
    clock.advance(4);
    await post(`leg-status?attempt=${attempt}`, { CallSid: child, CallStatus: 'in-progress', SequenceNumber: '1' });
    expect((await post(`screen?attempt=${attempt}`, { CallSid: child })).text).toContain('<Gather');
    await post(`screen-result?attempt=${attempt}`, { CallSid: child, Digits: '1' });
    expect((await c.calls.getCallBySid(callSid))!.state).toBe('connected');

    pgCtl('-m', 'fast', '-w', 'stop');
    clock.advance(30);
    expect((await post(`leg-status?attempt=${attempt}`, { CallSid: child, CallStatus: 'completed', SequenceNumber: '2', CallDuration: '30' })).status).toBe(204);
    const thanks = await post(`dial-result?attempt=${attempt}`, { CallSid: callSid, CallStatus: 'in-progress', DialCallStatus: 'completed', DialBridged: 'true' });
    expect(thanks.text).toContain('<Hangup/>');
    expect(thanks.text).not.toContain(DUTY);
    clock.advance(3);
    expect((await post('status', { CallSid: callSid, CallStatus: 'completed', SequenceNumber: '3' })).status).toBe(204);

    startPostgres();
    // The replay loop's passes, 2 s apart: the first may meet a connection the restart dropped.
    for (let pass = 0; pass < 5 && c.spool!.depth() > 0; pass++) {
      clock.advance(2);
      expect((await c.spool!.replayer.replayOnce()).setAside).toBe(0);
    }
    expect(c.spool!.depth()).toBe(0);
    expect(await c.calls.getCallBySid(callSid)).toMatchObject({ state: 'ended', outcome: 'answered', endedBy: 'agent' });
    const next = await post('incoming', { CallSid: randomSid('CA'), From: '+8613933334444', To: HOTLINE });
    expect(next.text).toContain(`>${AGENT}</Number>`);
  }, 120_000);
});
