import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Coordinator } from '../../src/domain/ports';
import { databaseCounter } from '../../src/postgres/counter-store';
import { pgliteDb, type Db } from '../../src/postgres/db';
import { migrate } from '../../src/postgres/migrate';
import { InProcessCoordinator } from '../../src/redis/in-process-coordinator';
import { RedisCoordinator } from '../../src/redis/redis-coordinator';
import { realRedisUrl } from '../support/backends';
import { ManualClock } from '../support/manual-clock';

/** A short claim, and how long past its end the test waits for it to be gone. */
const CLAIM_MS = 1_000;
const EXPIRY_MARGIN_MS = 500;

/**
 * One contract, every implementation: the in-process twin earns its place by behaving exactly
 * like Redis. The Redis run needs REDIS_URL (CI's second pass sets it).
 */
interface Subject {
  make(): Coordinator;
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
        close: async () => undefined,
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
    a = subject.make();
    // a second instance sharing the same backend, as a second server would
    b = _name === 'redis' ? subject.make() : a;
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

  it('answers ping while connected', async () => {
    await expect(a.ping()).resolves.toBeUndefined();
  });
});
