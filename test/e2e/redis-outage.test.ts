import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { Writable } from 'node:stream';
import nock from 'nock';
import { interceptAfterCallRest } from '../support/after-call';
import request from 'supertest';
import winston from 'winston';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../src/app';
import { buildContainer, type Container } from '../../src/container';
import { installFeatures } from '../../src/features';
import { createLogger } from '../../src/logger';
import { PostgresCoordinator } from '../../src/postgres/postgres-coordinator';
import { FailoverCoordinator } from '../../src/redis/failover-coordinator';
import { RedisCoordinator } from '../../src/redis/redis-coordinator';
import type { AgentBehaviour, CallScript, CallTranscript } from '../../src/simulator/twilio-model';
import { freshDatabase, realDatabaseUrl, type TestDatabase } from '../support/backends';
import { AUTH_TOKEN, HOTLINE, PUBLIC_BASE_URL, testConfig } from '../support/hotline-harness';
import { ManualClock } from '../support/manual-clock';
import { TwilioDriver } from '../support/twilio-driver';

/** A private Redis this test may stop and start (port reserved for it), never the shared one. */
const REDIS_PORT = 6391;
const hasRedisServer = spawnSync('redis-server', ['--version']).status === 0;

const startRedis = () => execFileSync('redis-server', ['--port', String(REDIS_PORT), '--save', '', '--appendonly', 'no', '--daemonize', 'yes']);
const stopRedis = () => spawnSync('redis-cli', ['-p', String(REDIS_PORT), 'shutdown', 'nosave']);
const redisAnswers = () => spawnSync('redis-cli', ['-p', String(REDIS_PORT), 'ping']).stdout?.toString().trim() === 'PONG';

const METRICS_TOKEN = 'test-metrics-token-0123456789';
const AGENTS = ['+8613800000001', '+8613800000002', '+8613800000003'];

async function until(what: string, ok: () => boolean, ms = 15_000): Promise<void> {
  const end = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/**
 * Redis stops in the middle of a morning on two server instances sharing one PostgreSQL and one
 * Redis: calls go on ringing agents (coordinated through PostgreSQL, checked against the record),
 * no agent is claimed twice, every call is complete on record; Redis comes back and both
 * instances return to it. Needs DATABASE_URL (two instances share a real database) and a
 * redis-server binary.
 */
describe.skipIf(!realDatabaseUrl || !hasRedisServer)('Redis stops and starts again while calls arrive', () => {
  let testDb: TestDatabase;
  let instances: Container[] = [];
  const logLines: string[] = [];

  beforeAll(async () => {
    if (redisAnswers()) stopRedis();
    startRedis();
    await until('the private Redis', redisAnswers);
    nock.disableNetConnect();
    nock.enableNetConnect('127.0.0.1');
    testDb = await freshDatabase();
    const config = testConfig({
      DATABASE_URL: testDb.url!,
      REDIS_URL: `redis://127.0.0.1:${REDIS_PORT}`,
      REDIS_KEY_PREFIX: `threering-outage:${randomBytes(4).toString('hex')}:`,
      REDIS_COMMAND_TIMEOUT_MS: '250',
      AUTO_PAUSE_AFTER: '50',
      LOG_LEVEL: 'info',
      METRICS_TOKEN,
    });
    const clock = new ManualClock();
    // Each instance logs into the test, to count the switches it announces.
    const logger = createLogger('info');
    logger.clear();
    logger.add(new winston.transports.Stream({ stream: new Writable({ write: (chunk, _enc, done) => (logLines.push(String(chunk)), done()) }) }));
    for (let i = 0; i < 2; i++) {
      const c = await buildContainer(config, { clock, logger });
      installFeatures(c);
      instances.push(c);
    }
    for (const phone of AGENTS) await instances[0]!.agents.create({ name: phone, phone });
  });

  afterAll(async () => {
    nock.cleanAll();
    for (const c of instances.reverse()) await c.close();
    instances = [];
    await testDb?.drop();
    stopRedis();
  });

  it('keeps ringing agents, claims no agent twice, records every call, and returns to Redis', async () => {
    const [one, two] = instances as [Container, Container];
    const apps = [createApp(one), createApp(two)];
    let next = 0;
    // A load balancer: each of Twilio's requests goes to the other instance.
    const network = { callback: () => ({ delaySeconds: 0, twice: false }), lateKeyPress: () => null, instance: (n: number) => next++ % n };
    const driver = new TwilioDriver(apps, AUTH_TOKEN, PUBLIC_BASE_URL, one.clock as ManualClock, network);
    // Twilio's REST API carries out the moves of waiting callers (made in the background, with tries).
    interceptAfterCallRest({ twilio: driver });
    const seen: Record<string, unknown> = {};

    const everyone = (b: AgentBehaviour) => Object.fromEntries(AGENTS.map((p) => [p, b]));
    const call = (i: number, arriveAfterSeconds: number, talkSeconds: number, whileTalking?: () => Promise<void>): CallScript & { arriveAfterSeconds: number } => ({
      from: `+86139000000${String(i).padStart(2, '0')}`,
      to: HOTLINE,
      arriveAfterSeconds,
      agents: everyone({ does: 'accept', ringSeconds: 3, talkSeconds, ...(whileTalking ? { whileTalking } : {}) }),
    });

    const stopMidway = async () => {
      expect([one.coordinator.mode?.(), two.coordinator.mode?.()]).toEqual(['redis', 'redis']);
      stopRedis();
      await until('Redis to stop', () => !redisAnswers());
    };
    const duringOutage = async () => {
      seen.modes = [one.coordinator.mode?.(), two.coordinator.mode?.()];
      const ready = await request(apps[0]!).get('/readyz');
      seen.ready = { status: ready.status, coordination: ready.body.coordination, redisErrors: ready.body.redisErrors };
      seen.metrics = (await request(apps[1]!).get('/metrics').set('Authorization', `Bearer ${METRICS_TOKEN}`)).text;
    };
    const restart = async () => {
      startRedis();
      await until('both instances back on Redis', () => one.coordinator.mode?.() === 'redis' && two.coordinator.mode?.() === 'redis');
    };

    // Only the agent of A could take D's and F's calls, and A's agent is talking: their hunts
    // try everyone else (who rings out) and must skip A's agent as busy.
    const onlyTheTalkingAgentAnswers = (i: number, arriveAfterSeconds: number): CallScript & { arriveAfterSeconds: number } => ({
      ...call(i, arriveAfterSeconds, 30),
      agents: { [AGENTS[0]!]: { does: 'accept', talkSeconds: 30 }, [AGENTS[1]!]: { does: 'ring-out' }, [AGENTS[2]!]: { does: 'ring-out' } },
    });

    const transcripts: CallTranscript[] = await driver.placeCalls([
      // A talks right through the outage: its claim is in Redis when Redis stops.
      call(0, 0, 400),
      // B's agent stops Redis near the end of their talk.
      call(1, 20, 60, stopMidway),
      // C and D overlap during the outage; C looks at readiness meanwhile.
      call(2, 120, 40, duringOutage),
      onlyTheTalkingAgentAnswers(3, 125),
      // E's agent starts Redis again (empty: it kept no data) and waits for both instances to see it.
      call(4, 200, 30, restart),
      // F after the return, while A still talks: Redis knows A's agent is busy only from the copy back.
      onlyTheTalkingAgentAnswers(5, 260),
      // G after A's talk ended: A's agent is free again.
      call(6, 420, 30),
    ]);

    // A's agent was rung for nobody else while A talked, before, during and after the outage.
    const talkingThroughout = transcripts[0]!.bridgedTo!;
    expect(talkingThroughout).toBe(AGENTS[0]);
    for (const t of transcripts.slice(1, 6)) expect(t.dialed).not.toContain(talkingThroughout);
    // Everyone else was put through to an agent, D and F excepted: nobody free took them.
    expect(transcripts.map((t) => t.bridgedTo !== null)).toEqual([true, true, true, false, true, false, true]);
    // D and F tried the two other agents (D waited in line while C talked) and skipped A's.
    expect(new Set(transcripts[3]!.dialed)).toEqual(new Set([AGENTS[1], AGENTS[2]]));
    expect(new Set(transcripts[5]!.dialed)).toEqual(new Set([AGENTS[1], AGENTS[2]]));

    // Both instances coordinated through PostgreSQL during the outage, and said so.
    expect(seen.modes).toEqual(['postgres-fallback', 'postgres-fallback']);
    expect(seen.ready).toMatchObject({ status: 200, coordination: 'postgres-fallback' });
    expect((seen.ready as { redisErrors: number }).redisErrors).toBeGreaterThan(0);
    expect(seen.metrics).toContain('threering_coordination_mode{mode="postgres-fallback"} 1');
    expect(seen.metrics).toContain('threering_coordination_mode{mode="redis"} 0');
    expect(seen.metrics).not.toContain('threering_redis_errors_total 0');

    // No agent's attempts overlap: one agent, one call, across the outage and the return.
    const attempts = await one.db.query<{ agent_id: string; offered_at: Date; finished_at: Date | null }>(
      'SELECT agent_id, offered_at, finished_at FROM ring_attempts ORDER BY agent_id, offered_at',
    );
    for (let i = 1; i < attempts.length; i++) {
      const [before, after] = [attempts[i - 1]!, attempts[i]!];
      if (before.agent_id === after.agent_id) expect(new Date(before.finished_at!).getTime()).toBeLessThanOrEqual(new Date(after.offered_at).getTime());
    }
    expect(attempts.every((a) => a.finished_at !== null)).toBe(true);

    // Every call is complete on record.
    const calls = await one.db.query<{ state: string; outcome: string }>('SELECT state, outcome FROM calls ORDER BY started_at');
    expect(calls.map((c) => `${c.state} ${c.outcome}`)).toEqual(['answered', 'answered', 'answered', 'missed', 'answered', 'missed', 'answered'].map((o) => `ended ${o}`));

    // Each instance announced each switch once: away from Redis, then back.
    const switches = logLines.filter((l) => l.includes('coordination switched'));
    expect(switches.filter((l) => l.includes('to PostgreSQL'))).toHaveLength(2);
    expect(switches.filter((l) => l.includes('back to Redis'))).toHaveLength(2);
    expect(logLines.join('')).not.toMatch(/\+86139000000\d\d/);
  });
});

/** A fresh private redis-server on `port` that can be made to hang (DEBUG SLEEP); its command line. */
async function sleepyRedis(port: number): Promise<(...args: string[]) => string | undefined> {
  const cli = (...args: string[]) => spawnSync('redis-cli', ['-p', String(port), ...args]).stdout?.toString().trim();
  if (cli('ping') === 'PONG') cli('shutdown', 'nosave');
  execFileSync('redis-server', ['--port', String(port), '--save', '', '--appendonly', 'no', '--daemonize', 'yes', '--enable-debug-command', 'yes']);
  await until('the private Redis', () => cli('ping') === 'PONG');
  return cli;
}

/** An instance's coordinator on that Redis and a database, quick to fail over and with a short grace (unless told). */
function failoverOn(port: number, database: TestDatabase, clock: ManualClock, prefix: string, graceMs = 200): FailoverCoordinator {
  return new FailoverCoordinator({
    redis: new RedisCoordinator(`redis://127.0.0.1:${port}`, prefix, { commandTimeoutMs: 250 }),
    postgres: new PostgresCoordinator(database.db, clock, { ringMs: 56_000, talkMs: 3_600_000 }),
    clock,
    logger: createLogger('error', true),
    graceMs,
  });
}

/**
 * A private Redis that can hang on `port`, a fresh database, and an instance's failover
 * coordinator on both under a key prefix of its own; `close` ends all three.
 */
async function onSleepyRedis(port: number, name: string, o: { clock?: ManualClock; graceMs?: number } = {}) {
  const cli = await sleepyRedis(port);
  const database = await freshDatabase();
  const clock = o.clock ?? new ManualClock();
  const prefix = `threering-${name}:${randomBytes(4).toString('hex')}:`;
  const coordinator = failoverOn(port, database, clock, prefix, o.graceMs);
  const close = async () => {
    await coordinator.close();
    await database.drop();
    cli('shutdown', 'nosave');
  };
  return { cli, database, clock, prefix, coordinator, close };
}

/**
 * Puts the Redis to sleep for `seconds` and waits until the coordinator, its command timed out
 * (once redis-cli's command is in), has turned to PostgreSQL; `woken` is the sleep's end.
 */
async function hang(port: number, seconds: number, coordinator: FailoverCoordinator): Promise<{ woken: Promise<unknown> }> {
  const sleeper = spawn('redis-cli', ['-p', String(port), 'debug', 'sleep', String(seconds)]);
  const woken = new Promise((r) => sleeper.on('exit', r));
  const hangs = Date.now() + seconds * 800;
  while (coordinator.mode() === 'redis' && Date.now() < hangs) await coordinator.ping();
  expect(coordinator.mode()).toBe('postgres-fallback');
  return { woken };
}

/**
 * A Redis that hangs rather than closes (here: busy in DEBUG SLEEP) costs a request no more than
 * REDIS_COMMAND_TIMEOUT_MS; the claim taken meanwhile in PostgreSQL is copied back to Redis.
 */
describe.skipIf(!hasRedisServer)('a Redis that stops answering', () => {
  const port = 6392;

  it('times a command out, claims through PostgreSQL, and copies the claim back when Redis answers', async () => {
    const { cli, prefix, coordinator, close } = await onSleepyRedis(port, 'hang');
    try {
      await coordinator.start(5_000);
      expect(await coordinator.claimFirstFree(['agent-1', 'agent-2'], 'before:0', 60_000)).toBe('agent-1');
      const { woken } = await hang(port, 5, coordinator);
      expect(await coordinator.claimFirstFree(['agent-2'], 'during:0', 60_000)).toBe('agent-2');
      expect(await coordinator.releaseClaim('agent-1', 'before:0')).toBe(false);

      await woken;
      await until('the switch back to Redis', () => coordinator.mode() === 'redis');
      await until('the copy back', () => cli('get', `${prefix}claim:agent-2`) === 'during:0' && cli('exists', `${prefix}claim:agent-1`) === '0');
      // agent-1 was released during the hang: Redis heard of it on the way back.
      expect(await coordinator.claimFirstFree(['agent-1'], 'after:0', 60_000)).toBe('agent-1');
      expect(await coordinator.claimFirstFree(['agent-2'], 'after:1', 60_000)).toBeNull();
      expect(Number(cli('pttl', `${prefix}claim:agent-2`))).toBeGreaterThan(30_000);
    } finally {
      await close();
    }
  });
});

/**
 * A call's arrival and its joining the line are one Redis script each; while Redis hangs they are
 * asked of PostgreSQL one by one, and in the grace after its return the look at the agents does
 * not trust Redis alone.
 */
describe.skipIf(!hasRedisServer)("a call's arrival and its joining the line while Redis hangs", () => {
  const port = 6398;

  it('carries the rotation on from Redis through PostgreSQL and back, and in the grace says an agent may be free', async () => {
    // A long grace, to look at the agents inside it.
    const { cli, prefix, coordinator, close } = await onSleepyRedis(port, 'arrive', { graceMs: 60_000 });
    const hotline = '+864008001234';
    try {
      await coordinator.start(5_000);
      expect(await coordinator.arrive(hotline)).toEqual({ rotation: 0, lineEmpty: true });
      expect(await coordinator.arrive(hotline)).toEqual({ rotation: 1, lineEmpty: true });
      expect(await coordinator.claimFirstFree(['agent-1'], 'before:0', 60_000)).toBe('agent-1');
      expect(await coordinator.enterLineAndLook(hotline, 'call-1', 1_000, ['agent-1'])).toEqual({ ahead: 0, anyUnclaimed: false });

      const { woken } = await hang(port, 3, coordinator);
      // PostgreSQL goes on from the last offset Redis gave this instance, and keeps the line meanwhile.
      expect(await coordinator.arrive(hotline)).toEqual({ rotation: 2, lineEmpty: true });
      expect(await coordinator.enterLineAndLook(hotline, 'call-2', 2_000, ['agent-1'])).toEqual({ ahead: 0, anyUnclaimed: true });
      expect(await coordinator.arrive(hotline)).toEqual({ rotation: 3, lineEmpty: false });

      await woken;
      await until('the switch back to Redis', () => coordinator.mode() === 'redis');
      // Back on Redis, once the copy back is done: the line held there and the one kept in
      // PostgreSQL are one again, and the rotation does not step back.
      await until('the copy back', () => Number(cli('get', `${prefix}rotation:${hotline}`)) >= 4);
      const back = await coordinator.arrive(hotline);
      expect(back.rotation).toBeGreaterThanOrEqual(4);
      expect(back.lineEmpty).toBe(false);
      expect((await coordinator.lineMembers(hotline, 10)).map((m) => m.callId)).toEqual(['call-1', 'call-2']);
      // In the grace after the return, claims taken in PostgreSQL may not be in Redis yet: a look says maybe.
      expect(cli('exists', `${prefix}claim:agent-1`)).toBe('1');
      expect(await coordinator.enterLineAndLook(hotline, 'call-3', 3_000, ['agent-1'])).toEqual({ ahead: 2, anyUnclaimed: true });
    } finally {
      await close();
    }
  });
});

/**
 * A Redis restarted with its data still holds the claims it had before its outage, and on its
 * return may meet rows in PostgreSQL for the same agents. Redis's claim gives way only when its
 * attempt is over on record and the row's is not; any other it keeps, one granted since the
 * return among them.
 */
describe.skipIf(!hasRedisServer)('a Redis back with claims from before its outage', () => {
  const port = 6397;

  it('gives an agent to the claim taken during the outage only when Redis kept one whose attempt is over on record', async () => {
    const { cli, database, clock, prefix, coordinator, close } = await onSleepyRedis(port, 'kept');
    const { db } = database;
    const agent = async (n: number) =>
      (await db.query<{ id: string }>(`INSERT INTO agents (name, phone, position) VALUES ($1, $2, $3) RETURNING id`, [`Agent ${n}`, `+8613800000${n}0`, n]))[0]!.id;
    const call = async (n: number) =>
      (await db.query<{ id: string }>(`INSERT INTO calls (call_sid, from_number, to_number, started_at, rotation_offset) VALUES ($1, '+8613900000000', $2, $3, 0) RETURNING id`, [`CAkept${n}`, HOTLINE, clock.now()]))[0]!.id;
    // An attempt on record, unfinished unless `finished`, offered `agoMs` before now; its holder.
    const attempt = async (callId: string, agentId: string, o: { agoMs?: number; finished?: boolean } = {}) => {
      const offered = new Date(clock.now().getTime() - (o.agoMs ?? 0));
      await db.query(`INSERT INTO ring_attempts (call_id, seq, agent_id, endpoint, offered_at, finished_at) VALUES ($1, 0, $2, 'sip:agent@example.com', $3, $4)`, [
        callId,
        agentId,
        offered,
        o.finished ? clock.now() : null,
      ]);
      return `${callId}:0`;
    };
    try {
      await coordinator.start(5_000);
      const [a, b, c] = [await agent(1), await agent(2), await agent(3)];
      // Agent a: rung before the outage for a call whose ring is past its time on record (Twilio's
      // word of its end never came), so PostgreSQL will give them on; Redis keeps the claim.
      const before = await attempt(await call(1), a, { agoMs: 120_000 });
      expect(await coordinator.claimFirstFree([a], before, 60_000)).toBe(a);

      const { woken } = await hang(port, 3, coordinator);
      // During the outage: a goes to a new call, which rings them now.
      const during = `${await call(2)}:0`;
      expect(await coordinator.claimFirstFree([a], during, 60_000)).toBe(a);
      await attempt(during.split(':')[0]!, a);
      // b: claimed here for a call whose ring has since ended on record (its release to come) ...
      const ended = `${await call(3)}:0`;
      expect(await coordinator.claimFirstFree([b], ended, 60_000)).toBe(b);
      await attempt(ended.split(':')[0]!, b, { finished: true });
      // ... while Redis, the moment it is back, gives b to a call that rings them now (an instance
      // that had not been in fallback): the command waits behind the sleep, ahead of any probe.
      const since = await attempt(await call(4), b);
      // c: claimed here for a call that rings them now, while Redis, back, gives c to a call whose
      // attempt is not on record yet (claims come a moment ahead of their attempts).
      const ringing = `${await call(5)}:0`;
      expect(await coordinator.claimFirstFree([c], ringing, 60_000)).toBe(c);
      await attempt(ringing.split(':')[0]!, c);
      const fresh = `${await call(6)}:0`;
      const claimedOnReturn = [
        [b, since],
        [c, fresh],
      ].map(([agentId, holder]) => {
        const setter = spawn('redis-cli', ['-p', String(port), 'set', `${prefix}claim:${agentId}`, holder!, 'px', '60000']);
        return new Promise((r) => setter.on('exit', r));
      });
      await woken;
      await Promise.all(claimedOnReturn);

      await until('the switch back to Redis', () => coordinator.mode() === 'redis');
      await until('the copy back', () => cli('get', `${prefix}claim:${a}`) === during);
      // Past the grace Redis alone decides: each agent stays with the call ringing them.
      await new Promise((r) => setTimeout(r, 400));
      expect(await coordinator.releaseClaim(a, before)).toBe(false);
      expect(await coordinator.claimFirstFree([a], 'after:0', 60_000)).toBeNull();
      expect(await coordinator.holderOf(a)).toBe(during);
      expect(await coordinator.holderOf(b)).toBe(since);
      expect(await coordinator.holderOf(c)).toBe(fresh);
    } finally {
      await close();
    }
  });
});

/**
 * A Redis that kept its data holds every claim not released since; the record may still show as
 * unfinished an attempt whose end came during the outage (its write still on its way, or in a
 * spool). Claims are rebuilt from the record only for a Redis that lost its data.
 */
describe.skipIf(!hasRedisServer)('a Redis back with its data, and a claim released during its outage', () => {
  const port = 6395;

  it('does not bring the claim back from an attempt the record still shows unfinished', async () => {
    const { database, clock, coordinator, close } = await onSleepyRedis(port, 'released');
    const { db } = database;
    try {
      await coordinator.start(5_000);
      const agent = (await db.query<{ id: string }>(`INSERT INTO agents (name, phone, position) VALUES ('Agent 1', '+8613800000010', 1) RETURNING id`))[0]!.id;
      const call = (await db.query<{ id: string }>(`INSERT INTO calls (call_sid, from_number, to_number, started_at, rotation_offset) VALUES ('CAreleased1', '+8613900000000', $1, $2, 0) RETURNING id`, [HOTLINE, clock.now()]))[0]!.id;
      await db.query(`INSERT INTO ring_attempts (call_id, seq, agent_id, endpoint, offered_at) VALUES ($1, 0, $2, 'sip:agent@example.com', $3)`, [call, agent, clock.now()]);
      const holder = `${call}:0`;
      expect(await coordinator.claimFirstFree([agent], holder, 60_000)).toBe(agent);

      const { woken } = await hang(port, 3, coordinator);
      // The ring ends during the outage: the agent is released (noted for Redis); the attempt's end is not on record yet.
      await coordinator.releaseClaim(agent, holder);
      await woken;
      await until('the switch back to Redis', () => coordinator.mode() === 'redis');
      // Past the grace and its second copy back: the agent is free for the next call.
      await new Promise((r) => setTimeout(r, 700));
      expect(await coordinator.holderOf(agent)).toBeNull();
      expect(await coordinator.claimFirstFree([agent], 'next:0', 60_000)).toBe(agent);
    } finally {
      await close();
    }
  });
});

/**
 * One instance cannot reach Redis while another can (a partition): the one on Redis sees the
 * other's mark and writes its claims to PostgreSQL too, so neither claims an agent the other has.
 */
describe.skipIf(!hasRedisServer)('an instance that alone cannot reach Redis', () => {
  const port = 6393;
  const unreachable = 6394;
  const cli = (...args: string[]) => spawnSync('redis-cli', ['-p', String(port), ...args]).stdout?.toString().trim();

  it('shares its claims with the instances still on Redis through PostgreSQL', async () => {
    if (cli('ping') === 'PONG') cli('shutdown', 'nosave');
    execFileSync('redis-server', ['--port', String(port), '--save', '', '--appendonly', 'no', '--daemonize', 'yes']);
    await until('the private Redis', () => cli('ping') === 'PONG');
    const database = await freshDatabase();
    const clock = new ManualClock();
    const prefix = `threering-split:${randomBytes(4).toString('hex')}:`;
    const rows = new PostgresCoordinator(database.db, clock, { ringMs: 56_000, talkMs: 3_600_000 });
    const instance = (redisPort: number) =>
      new FailoverCoordinator({
        redis: new RedisCoordinator(`redis://127.0.0.1:${redisPort}`, prefix, { commandTimeoutMs: 250 }),
        postgres: rows,
        clock,
        logger: createLogger('error', true),
        probeMs: 100,
      });
    const onRedis = instance(port);
    const cutOff = instance(unreachable);
    try {
      await onRedis.start(5_000);
      await cutOff.start(300);
      expect([onRedis.mode(), cutOff.mode()]).toEqual(['redis', 'postgres-fallback']);

      expect(await cutOff.claimFirstFree(['p1'], 'cut-off:0', 60_000)).toBe('p1');
      await new Promise((r) => setTimeout(r, 600));
      // The instance on Redis passes over p1 (claimed in PostgreSQL) and its own claim of p2 is
      // written there too, where the cut-off instance sees it.
      expect(await onRedis.claimFirstFree(['p1', 'p2'], 'on-redis:0', 60_000)).toBe('p2');
      expect(await cutOff.claimFirstFree(['p2', 'p3'], 'cut-off:1', 60_000)).toBe('p3');
      expect(cli('exists', `${prefix}claim:p1`)).toBe('0');

      // Once nobody is in fallback, claims stay in Redis alone.
      await cutOff.close();
      await new Promise((r) => setTimeout(r, 600));
      expect(await onRedis.claimFirstFree(['p4'], 'on-redis:1', 60_000)).toBe('p4');
      expect(await rows.holderOf('p4')).toBeNull();
    } finally {
      await onRedis.close();
      await database.drop();
      cli('shutdown', 'nosave');
    }
  });
});
