import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Call, CallStore, Coordinator } from '../../src/domain/ports';
import { WaitingLine } from '../../src/routing/waiting-line';
import { databaseCounter } from '../../src/postgres/counter-store';
import { pgliteDb, type Db } from '../../src/postgres/db';
import { migrate } from '../../src/postgres/migrate';
import { PostgresAgentStore } from '../../src/postgres/agent-store';
import { PostgresCallStore } from '../../src/postgres/call-store';
import { PostgresCoordinator } from '../../src/postgres/postgres-coordinator';
import { FailoverCoordinator } from '../../src/redis/failover-coordinator';
import { InProcessCoordinator } from '../../src/redis/in-process-coordinator';
import { RedisCoordinator } from '../../src/redis/redis-coordinator';
import { createLogger } from '../../src/logger';
import { freshDatabase, realRedisUrl } from '../support/backends';
import { ManualClock } from '../support/manual-clock';
import { deleteKeys } from '../../scripts/scratch-database';
import { AgentOffers } from '../../src/routing/agent-offers';
import { recordingDb } from '../support/recording-db';

/** A short claim, and how long past its end the test waits for it to be gone. */
const CLAIM_MS = 1_000;
const EXPIRY_MARGIN_MS = 500;
/** How long the fallback lets an unfinished attempt on record hold its agent: ringing, talking. */
const LIMITS = { ringMs: 56_000, talkMs: 3_600_000 };

/**
 * One contract, every implementation: the in-process twin and the PostgreSQL fallback earn their
 * place by behaving exactly like Redis. The Redis runs need REDIS_URL (CI's second pass sets it).
 */
interface Subject {
  make(): Coordinator | Promise<Coordinator>;
  /** Each make() is a separate instance on the same backend (otherwise one object plays both). */
  shared?: boolean;
  /** Lets claims age by this many milliseconds. */
  age(ms: number): Promise<void>;
}

const implementations: [string, () => Promise<Subject & { close(): Promise<void> }>][] = [
  [
    'in-process',
    async () => {
      const db: Db = await pgliteDb();
      await migrate(db);
      const clock = new ManualClock();
      return {
        make: () => new InProcessCoordinator(databaseCounter(db, 'rotation'), clock),
        age: async (ms) => void clock.advance(ms / 1000),
        close: () => db.close(),
      };
    },
  ],
  [
    // What the hotline coordinates through while Redis is down (PGlite, or PostgreSQL with DATABASE_URL).
    'postgres-fallback',
    async () => {
      const database = await freshDatabase();
      const clock = new ManualClock();
      return {
        make: () => new PostgresCoordinator(database.db, clock, LIMITS),
        age: async (ms) => void clock.advance(ms / 1000),
        close: () => database.drop(),
        shared: true,
      };
    },
  ],
];
if (realRedisUrl) {
  const url = realRedisUrl;
  implementations.push([
    'redis',
    async () => {
      const prefix = `threering-contract:${randomBytes(4).toString('hex')}:`;
      return {
        make: () => new RedisCoordinator(url, prefix),
        age: (ms) => new Promise((r) => setTimeout(r, ms)),
        close: () => deleteKeys(url, prefix),
        shared: true,
      };
    },
  ]);
  implementations.push([
    // The server's coordinator with REDIS_URL, while Redis answers.
    'failover (Redis up)',
    async () => {
      const prefix = `threering-contract:${randomBytes(4).toString('hex')}:`;
      const database = await freshDatabase();
      const clock = new ManualClock();
      const logger = createLogger('error', true);
      return {
        make: async () => {
          const coordinator = new FailoverCoordinator({
            redis: new RedisCoordinator(url, prefix, { commandTimeoutMs: 1_000 }),
            postgres: new PostgresCoordinator(database.db, clock, LIMITS),
            clock,
            logger,
          });
          await coordinator.start(5_000);
          expect(coordinator.mode()).toBe('redis');
          return coordinator;
        },
        age: (ms) => new Promise((r) => setTimeout(r, ms)),
        close: async () => {
          await database.drop();
          await deleteKeys(url, prefix);
        },
        shared: true,
      };
    },
  ]);
}

describe.each(implementations)('%s coordination', (_name, setup) => {
  let subject: Subject & { close(): Promise<void> };
  let a: Coordinator;
  let b: Coordinator;

  beforeAll(async () => {
    subject = await setup();
    a = await subject.make();
    // a second instance sharing the same backend, as a second server would
    b = subject.shared ? await subject.make() : a;
  });
  afterAll(async () => {
    await a.close();
    if (b !== a) await b.close();
    await subject.close();
  });

  it('hands out strictly increasing rotation offsets across instances', async () => {
    const seen = await Promise.all(Array.from({ length: 20 }, (_, i) => (i % 2 ? a : b).nextRotation()));
    expect(new Set(seen).size).toBe(20);
    expect(Math.max(...seen) - Math.min(...seen)).toBe(19);
  });

  it('keeps a rotation counter per key (each hotline number), apart from the shared one', async () => {
    const shared = await a.nextRotation();
    const first = await a.nextRotation('+864008001111');
    expect(await b.nextRotation('+864008001111')).toBe(first + 1);
    expect(await b.nextRotation('+864008002222')).toBe(0);
    expect(await a.nextRotation()).toBe(shared + 1);
  });

  it('claims the first free agent of the order and skips claimed ones', async () => {
    expect(await a.claimFirstFree(['x1', 'x2', 'x3'], 'call-1', 60_000)).toBe('x1');
    expect(await b.claimFirstFree(['x1', 'x2', 'x3'], 'call-2', 60_000)).toBe('x2');
    expect(await a.holderOf('x1')).toBe('call-1');
    expect(await b.holderOf('x2')).toBe('call-2');
  });

  it('never gives one agent to two simultaneous hunts', async () => {
    const order = ['y1', 'y2', 'y3'];
    const results = await Promise.all(Array.from({ length: 6 }, (_, i) => (i % 2 ? a : b).claimFirstFree(order, `hunt-${i}`, 60_000)));
    const granted = results.filter((r): r is string => r !== null);
    expect(granted.sort()).toEqual(order);
    expect(results.filter((r) => r === null)).toHaveLength(3);
  });

  it('returns null when the order is empty or all taken', async () => {
    expect(await a.claimFirstFree([], 'h', 1000)).toBeNull();
    expect(await a.claimFirstFree(['y1', 'y2', 'y3'], 'late', 1000)).toBeNull();
  });

  it('releases and extends only for the holder', async () => {
    await a.claimFirstFree(['z1'], 'owner', 60_000);
    expect(await b.releaseClaim('z1', 'someone-else')).toBe(false);
    expect(await b.extendClaim('z1', 'someone-else', 60_000)).toBe(false);
    expect(await a.holderOf('z1')).toBe('owner');
    expect(await b.extendClaim('z1', 'owner', 120_000)).toBe(true);
    expect(await b.releaseClaim('z1', 'owner')).toBe(true);
    expect(await a.holderOf('z1')).toBeNull();
    expect(await a.releaseClaim('z1', 'owner')).toBe(false);
  });

  it('lets a claim expire so a lost callback cannot lock an agent out', async () => {
    // Redis ages claims in real time: the claim must outlive a slow round trip on a busy machine
    // (a second is ample), and the wait must run well past it (Redis expires to the millisecond).
    expect(await a.claimFirstFree(['w1'], 'lost', CLAIM_MS)).toBe('w1');
    expect(await b.claimFirstFree(['w1'], 'next', 60_000)).toBeNull();
    await subject.age(CLAIM_MS + EXPIRY_MARGIN_MS);
    expect(await b.claimFirstFree(['w1'], 'next', 60_000)).toBe('w1');
  });

  it('a holder claiming again keeps the longer claim it was extended to (a talk outlives a stale re-offer)', async () => {
    // Claimed to ring, extended for a talk, then claimed again by a stale repeat of the offer.
    expect(await a.claimFirstFree(['t1'], 'talk:0', CLAIM_MS)).toBe('t1');
    expect(await b.extendClaim('t1', 'talk:0', 600_000)).toBe(true);
    expect(await b.claimFirstFree(['t1'], 'talk:0', CLAIM_MS)).toBe('t1');
    await subject.age(CLAIM_MS + EXPIRY_MARGIN_MS);
    expect(await a.holderOf('t1')).toBe('talk:0');
    expect(await b.claimFirstFree(['t1'], 'another-call:0', 60_000)).toBeNull();
    expect(await a.releaseClaim('t1', 'talk:0')).toBe(true);
  });

  it('answers ping while connected', async () => {
    await expect(a.ping()).resolves.toBeUndefined();
  });

  it('says whether any of some agents is unclaimed, across instances, taking nothing', async () => {
    expect(await a.anyUnclaimed([])).toBe(false);
    expect(await a.claimFirstFree(['look-1'], 'look-call:0', CLAIM_MS)).toBe('look-1');
    expect(await b.anyUnclaimed(['look-1'])).toBe(false);
    expect(await b.anyUnclaimed(['look-1', 'look-1'])).toBe(false);
    expect(await b.anyUnclaimed(['look-1', 'look-2'])).toBe(true);
    expect(await a.holderOf('look-2')).toBeNull();
    await subject.age(CLAIM_MS + EXPIRY_MARGIN_MS);
    expect(await b.anyUnclaimed(['look-1'])).toBe(true);
    expect(await a.claimFirstFree(['look-1'], 'look-call:1', 60_000)).toBe('look-1');
    expect(await a.releaseClaim('look-1', 'look-call:1')).toBe(true);
    expect(await b.anyUnclaimed(['look-1'])).toBe(true);
  });

  it('keeps a waiting line per hotline in arrival order across instances, telling each caller how many are ahead in theirs', async () => {
    const [X, Y] = ['+864008000001', '+864008000002'];
    expect(await a.enterLine(X, 'call-late', 2_000)).toBe(0);
    expect(await b.enterLine(X, 'call-early', 1_000)).toBe(0);
    // Another number's line counts apart, even with an earlier caller in it.
    expect(await b.enterLine(Y, 'call-other', 500)).toBe(0);
    // Entering again keeps the first place, and the first line.
    expect(await b.enterLine(X, 'call-late', 500)).toBe(1);
    expect(await a.enterLine(Y, 'call-late', 500)).toBe(1);
    expect(await a.lineMembers(X, 10)).toEqual([
      { callId: 'call-early', arrivedAtMs: 1_000 },
      { callId: 'call-late', arrivedAtMs: 2_000 },
    ]);
    expect(await b.lineMembers(Y, 10)).toEqual([{ callId: 'call-other', arrivedAtMs: 500 }]);
    expect((await a.waitingLines()).sort()).toEqual([X, Y]);
    expect(await b.linePosition('call-late')).toBe(1);
    expect(await b.linePosition('call-other')).toBe(0);
    expect(await a.linePosition('call-absent')).toBeNull();
    const taken = await Promise.all([a.leaveLine('call-early'), b.leaveLine('call-early')]);
    expect(taken.filter(Boolean)).toHaveLength(1);
    expect(await b.lineMembers(X, 10)).toEqual([{ callId: 'call-late', arrivedAtMs: 2_000 }]);
    expect(await a.linePosition('call-late')).toBe(0);
    // A line left empty is no longer listed; the caller may come back and is first again.
    expect(await a.leaveLine('call-other')).toBe(true);
    expect(await b.leaveLine('call-other')).toBe(false);
    expect(await b.waitingLines()).toEqual([X]);
    expect(await a.lineMembers(Y, 10)).toEqual([]);
    expect(await b.enterLine(Y, 'call-other', 500)).toBe(0);
    expect(await a.leaveLine('call-other')).toBe(true);
    expect(await a.leaveLine('call-late')).toBe(true);
    expect(await b.waitingLines()).toEqual([]);
  });

  it('reads a line a page at a time from just after a place, callers of one millisecond in id order', async () => {
    const L = '+864008000003';
    // Entered out of order; the first three arrived in the same millisecond.
    const arrivals: [string, number][] = [['p-05', 7_003], ['p-02', 7_000], ['p-04', 7_002], ['p-01', 7_000], ['p-03', 7_001], ['p-00', 7_000]];
    for (const [i, [id, ms]] of arrivals.entries()) await (i % 2 ? a : b).enterLine(L, id, ms);
    const all = await a.lineMembers(L, 100);
    expect(all.map((m) => m.callId)).toEqual(['p-00', 'p-01', 'p-02', 'p-03', 'p-04', 'p-05']);
    const pages: string[][] = [];
    let after: (typeof all)[number] | undefined;
    for (;;) {
      const page = await b.lineMembers(L, 2, after);
      if (page.length === 0) break;
      pages.push(page.map((m) => m.callId));
      after = page[page.length - 1];
    }
    expect(pages).toEqual([
      ['p-00', 'p-01'],
      ['p-02', 'p-03'],
      ['p-04', 'p-05'],
    ]);
    // After a place whose caller has left, the page starts at the next one still there.
    await a.leaveLine('p-03');
    expect((await b.lineMembers(L, 2, all[2])).map((m) => m.callId)).toEqual(['p-04', 'p-05']);
    for (const m of all) await a.leaveLine(m.callId);
  });

  it("answers a call's arrival, and a join with a look at the agents, as the questions asked one by one would", async () => {
    // Through the waiting line, which asks the coordinator's combined questions where it has them.
    for (const line of await a.waitingLines()) for (const m of await a.lineMembers(line, 100)) await a.leaveLine(m.callId);
    const [lineA, lineB] = [new WaitingLine(a, {} as CallStore), new WaitingLine(b, {} as CallStore)];
    const hotline = '+864008003333';
    const waiting = (id: string, ms: number, to = hotline) => ({ id, to, startedAt: new Date(ms), waitingSince: new Date(ms) }) as Call;
    const now = new Date();
    const first = await lineA.arrive(hotline);
    expect(first.lineEmpty).toBe(true);
    expect(await lineB.arrive(hotline)).toEqual({ rotation: first.rotation + 1, lineEmpty: true });
    expect(await a.nextRotation(hotline)).toBe(first.rotation + 2);

    expect(await a.claimFirstFree(['jl-1'], 'jl-call:0', 60_000)).toBe('jl-1');
    expect(await lineA.joinAndLook(waiting('jl-late', 2_000), now, ['jl-1'])).toEqual({ ahead: 0, mayBeFree: false });
    expect(await lineB.joinAndLook(waiting('jl-early', 1_000), now, ['jl-1', 'jl-2'])).toEqual({ ahead: 0, mayBeFree: true });
    // Joining again keeps the first place; a join without agents looks at none.
    expect(await lineB.joinAndLook(waiting('jl-late', 500), now, [])).toEqual({ ahead: 1, mayBeFree: false });
    expect(await lineA.join(waiting('jl-late', 500), now)).toBe(1);
    expect(await lineB.arrive(hotline)).toEqual({ rotation: first.rotation + 3, lineEmpty: false });
    // Another number's line is empty still: its first caller is rung, not put behind these.
    expect((await lineA.arrive('+864008004444')).lineEmpty).toBe(true);
    expect((await a.lineMembers(hotline, 10)).map((m) => m.callId)).toEqual(['jl-early', 'jl-late']);
    expect(await a.holderOf('jl-2')).toBeNull();
    expect(await a.releaseClaim('jl-1', 'jl-call:0')).toBe(true);
    expect(await lineA.joinAndLook(waiting('jl-late', 2_000), now, ['jl-1'])).toEqual({ ahead: 1, mayBeFree: true });
  });
});

describe('postgres-fallback coordination checks the record', () => {
  it('counts an agent as busy while an attempt of theirs is unfinished (a claim Redis held before the outage)', async () => {
    const database = await freshDatabase();
    try {
      const clock = new ManualClock();
      const agents = new PostgresAgentStore(database.db);
      const calls = new PostgresCallStore(database.db, () => []);
      const ringing = await agents.create({ name: 'Ringing', phone: '+8613800000001' });
      const free = await agents.create({ name: 'Free', phone: '+8613800000002' });
      const { call } = await calls.createCall({ callSid: 'CA' + 'b2'.repeat(16), from: '+8613911112222', to: '+864008001234', callerName: null, startedAt: clock.now() }, 0);
      const attempt = (await calls.addAttempt({ callId: call.id, seq: 0, agentId: ringing.id, endpoint: ringing.phone, offeredAt: clock.now() }))!.attempt;
      const fallback = new PostgresCoordinator(database.db, clock, LIMITS);

      expect(await fallback.claimFirstFree([ringing.id, free.id], 'other-call:0', 60_000)).toBe(free.id);
      // The attempt's own holder (a repeated request) may claim its agent.
      expect(await fallback.claimFirstFree([ringing.id], `${call.id}:0`, 60_000)).toBe(ringing.id);
      expect(await fallback.releaseClaim(ringing.id, `${call.id}:0`)).toBe(true);

      await calls.finishAttempt(attempt.id, { outcome: 'no-answer', dialCallStatus: 'no-answer', at: clock.now() });
      expect(await fallback.claimFirstFree([ringing.id], 'next-call:0', 60_000)).toBe(ringing.id);
    } finally {
      await database.drop();
    }
  });

  it('an offer over 200 agents costs a few statements, not one per agent passed over', async () => {
    const database = await freshDatabase();
    try {
      const clock = new ManualClock();
      const agents = new PostgresAgentStore(database.db);
      const calls = new PostgresCallStore(database.db, () => []);
      const roster = [];
      for (let i = 0; i < 200; i++) roster.push(await agents.create({ name: `Agent ${i}`, phone: `+86138${String(i).padStart(8, '0')}` }));
      const newCall = async (n: number) =>
        (await calls.createCall({ callSid: 'CA' + String(n).padStart(32, '0'), from: '+8613911112222', to: '+864008001234', callerName: null, startedAt: clock.now() }, n)).call;
      // Every agent busy but one: half claimed in the rows by other calls, half ringing on record
      // (a claim Redis held before the outage), so the claim has to look past 199 of them.
      const fallback = new PostgresCoordinator(database.db, clock, LIMITS);
      const other = await newCall(1);
      const free = roster[137]!;
      for (const [i, a] of roster.entries()) {
        if (a === free) continue;
        if (i % 2 === 0) expect(await fallback.claimFirstFree([a.id], `held-${i}:0`, 600_000)).toBe(a.id);
        else await calls.addAttempt({ callId: other.id, seq: i, agentId: a.id, endpoint: a.phone, offeredAt: clock.now() });
      }

      const recorded = recordingDb(database.db);
      const offers = new AgentOffers({
        agents: new PostgresAgentStore(recorded),
        calls: new PostgresCallStore(recorded, () => []),
        coordinator: new PostgresCoordinator(recorded, clock, LIMITS),
        ringClaimSeconds: 30,
        talkClaimSeconds: 3_600,
        clock,
        logger: createLogger('error', true),
      });
      const attempt = await offers.offerNext(await newCall(2), [], clock.now());

      expect(attempt?.agentId).toBe(free.id);
      const claims = recorded.statements.filter((s) => s.sql.includes('coordination_claims'));
      // One statement per slice of the hunt order the offer asks about (16, then 64, then 256 agents).
      expect(claims.length).toBeLessThanOrEqual(3);

      // The next offer to that number starts where the last claim had to look: one slice.
      await calls.finishAttempt(attempt!.id, { outcome: 'no-answer', dialCallStatus: 'no-answer', at: clock.now() });
      await offers.release(attempt!);
      const before = recorded.statements.length;
      expect((await offers.offerNext(await newCall(3), [], clock.now()))?.agentId).toBe(free.id);
      expect(recorded.statements.slice(before).filter((s) => s.sql.includes('coordination_claims'))).toHaveLength(1);
    } finally {
      await database.drop();
    }
  });
});
