import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { interceptAfterCallRest, interceptCallFetch } from '../support/after-call';
import { startHotline, type Hotline } from '../support/hotline-harness';
import { PlannedNetwork } from '../support/seeded-network';
import { playWorld, world, type World } from './world';
import * as check from './world-checks';

/**
 * Big worlds: every caller of every hotline, through outages, reaches the next free agent.
 * Each run generates a world (world.ts): two or three hotline numbers, each with its own group
 * of agents (some agents in two groups), lines of up to 60 callers, an agent paused midway,
 * callers who call again, a PostgreSQL outage (and, with REDIS_URL, a Redis outage) in the middle
 * of the calls, requests spread over two server instances, each with its own coordinator (its
 * own Redis connection when REDIS_URL is set). Every background loop runs on the model's clock
 * (waiting-line sweep, call settler, call-end outbox, spool replay, callback scheduler), and the
 * run goes on until every callback's deadline has passed (CALLBACK_DAY_DUE_MINUTES=5 here), so
 * the scheduler judges every lapse. Then every invariant of world-checks.ts is checked.
 *
 * A world takes 20 s or more of a busy two-core machine, so this property runs
 * PROPERTY_WORLD_RUNS worlds, by default PROPERTY_RUNS / 100 (at least 3): 10 in CI (1,000), which
 * keeps CI's whole run under about 45 minutes.
 * PROPERTY_SEED / PROPERTY_PATH replay a run as in call-invariants.test.ts; PROPERTY_INVARIANTS
 * (comma-separated names from world-checks.ts) checks only those, to find and shrink the
 * counterexample of one of them (with PROPERTY_SHRINK=1); PROPERTY_OUTAGES=0 leaves the outages out
 * (to tell a routing fault from an outage's); they are in by default, in `npm test` and in CI;
 * PROPERTY_WORLD=<JSON> plays the world given (a printed counterexample, edited).
 */
const RUNS = Number(process.env.PROPERTY_WORLD_RUNS ?? Math.max(3, Math.ceil(Number(process.env.PROPERTY_RUNS ?? 150) / 100)));
const ONLY = process.env.PROPERTY_INVARIANTS?.split(',').map((x) => x.trim()) as check.Invariant[] | undefined;
const wanted = (name: check.Invariant) => !ONLY || ONLY.includes(name);
/** Worlds with outages unless PROPERTY_OUTAGES=0 (see above). */
const generated = process.env.PROPERTY_OUTAGES === '0' ? world.map((w) => ({ ...w, postgresOutage: undefined, redisOutage: undefined })) : world;
/** PROPERTY_WORLD=<JSON of a World>: plays that one world (a counterexample written by hand, or edited). */
const worlds: fc.Arbitrary<World> = process.env.PROPERTY_WORLD ? fc.constant(JSON.parse(process.env.PROPERTY_WORLD) as World) : generated;

describe('every caller of every hotline, through outages, reaches the next free agent', () => {
  let h: Hotline;
  const network = new PlannedNetwork();
  let run = 0;

  beforeAll(async () => {
    // Callback deadlines 5 minutes after a day call (the shortest setting), so that a run lives past them.
    h = await startHotline({ CALLBACK_DAY_DUE_MINUTES: '5' }, undefined, { instances: 2, network, coordinators: 'per-instance', background: true, faults: true });
    interceptAfterCallRest(h);
    // The call settler asks Twilio about talks longer than its grace: the model answers.
    interceptCallFetch(h);
    // Migrating a fresh database takes a while on a busy machine.
  }, 180_000);
  afterAll(async () => {
    await h.close();
  }, 180_000);

  async function play(w: World): Promise<void> {
    run++;
    const doubleRungBefore = h.twilio.model.doubleRung.length;
    const played = await playWorld(h, network, w, run);
    const pausedAt = new Map<string, Date>();
    for (const a of played.agents) {
      const on = (await h.api.get(`/api/agents/${a.id}`)).body as { paused?: boolean; pausedAt?: string | null };
      if (on.paused && on.pausedAt) pausedAt.set(a.phone, new Date(on.pausedAt));
    }
    if (played.paused) pausedAt.set(played.paused.phone, played.paused.at);
    const ctx: check.Context = { h, world: played, pausedAt };
    const seen: Partial<Record<check.Invariant, string[]>> = {};
    const judge = async (name: check.Invariant, found: () => string[] | Promise<string[]>) => {
      if (!wanted(name)) return;
      const bad = await found();
      // The first few of each, enough to read the counterexample.
      if (bad.length > 0) seen[name] = [...bad.slice(0, 5), ...(bad.length > 5 ? [`… ${bad.length - 5} more`] : [])];
    };
    await judge('one-outcome', () => check.oneOutcome(ctx));
    await judge('one-call-per-phone', () => check.oneCallPerPhone(h, doubleRungBefore));
    await judge('not-rung-while-paused', () => check.notRungWhilePaused(ctx));
    await judge('first-come-first-served', () => check.firstComeFirstServed(ctx));
    await judge('max-wait', () => check.maxWait(ctx));
    await judge('no-idle-agent-while-a-caller-waits', () => check.noIdleAgentWhileACallerWaits(ctx));
    await judge('callback-for-every-miss', () => check.callbackForEveryMiss(ctx));
    await judge('every-lapse-fined-on-the-ladder', () => check.everyLapseFinedOnTheLadder(ctx));
    await judge('claims-released', () => check.claimsReleased(ctx));
    await judge('line-empty', () => check.lineEmpty(ctx));
    await judge('spool-drained', () => check.spoolDrained(h));
    await judge('ended-soon-after-postgres-returns', () => played.notEndedAfterReturn);
    for (const a of played.agents) await h.api.delete(`/api/agents/${a.id}`);
    expect(seen, `world of run ${run}: ${played.callers.length} callers, outages ${JSON.stringify(played.windows)}`).toEqual({});
  }

  it(`holds its invariants over ${RUNS} generated worlds`, async () => {
    const replay = process.env.PROPERTY_SEED ? { seed: Number(process.env.PROPERTY_SEED), path: process.env.PROPERTY_PATH } : {};
    await fc.assert(fc.asyncProperty(worlds, (w) => play(w)), { numRuns: RUNS, endOnFailure: !process.env.PROPERTY_SHRINK, ...replay });
  }, 3_600_000);
});
