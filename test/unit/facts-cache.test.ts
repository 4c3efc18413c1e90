import { afterEach, describe, expect, it, vi } from 'vitest';
import { FACTS_TTL_MS, FactsCache, NOTICED_MAX_AGE_MS } from '../../src/postgres/facts-cache';

const T0 = new Date('2026-12-07T02:00:00Z');
const at = (ms: number) => new Date(T0.getTime() + ms);

/** A loader that counts its reads and returns the read's number. */
function counting() {
  let reads = 0;
  return {
    load: async () => ++reads,
    get reads() {
      return reads;
    },
  };
}

/** Lets background reloads settle. */
const settle = () => new Promise((r) => setTimeout(r, 0));

describe('the facts cache', () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it('without change notices reads a fact again in the background past three quarters of its ttl', async () => {
    const facts = new FactsCache();
    const f = counting();
    expect(await facts.read('k', at(0), f.load)).toBe(1);
    expect(await facts.read('k', at(1000), f.load)).toBe(1);
    expect(f.reads).toBe(1);
    // Past 1.5 s: the caller still gets the value held, and a read starts behind it.
    expect(await facts.read('k', at(1600), f.load)).toBe(1);
    await settle();
    expect(f.reads).toBe(2);
    expect(await facts.read('k', at(1700), f.load)).toBe(2);
    // Past the ttl by the hotline's clock: read before answering.
    expect(await facts.read('k', at(1600 + FACTS_TTL_MS), f.load)).toBe(3);
  });

  it('while notices arrive keeps a fact until a notice comes, and reads it again then', async () => {
    const facts = new FactsCache();
    facts.noticesUp(true);
    const f = counting();
    expect(await facts.read('k', at(0), f.load)).toBe(1);
    for (const ms of [1600, 3200, 4800, 6400]) {
      // Each call past 1.5 s from the last renewal renews it, with no read.
      expect(await facts.read('k', at(ms), f.load)).toBe(1);
      await settle();
    }
    expect(f.reads).toBe(1);
    // No call for longer than the ttl: read before answering, as without notices.
    expect(await facts.read('k', at(20_000), f.load)).toBe(2);
    expect(await facts.read('k', at(21_600), f.load)).toBe(2);
    await settle();
    expect(f.reads).toBe(2);
    facts.invalidate(); // a notice: another instance changed a fact
    expect(await facts.read('k', at(21_700), f.load)).toBe(3);
  });

  it('renews nothing read before the notices stopped, nor after they came back', async () => {
    const facts = new FactsCache();
    facts.noticesUp(true);
    const f = counting();
    await facts.read('k', at(0), f.load);
    facts.noticesUp(false);
    // Forgotten: changes made while notices were not arriving would go unseen.
    expect(await facts.read('k', at(100), f.load)).toBe(2);
    facts.noticesUp(true);
    expect(await facts.read('k', at(200), f.load)).toBe(3);
    // Read after the notices came back: that one is renewed.
    expect(await facts.read('k', at(1800), f.load)).toBe(3);
    await settle();
    expect(f.reads).toBe(3);
  });

  it('reads a fact again at the instant its loader said it stops holding (a shift boundary), notices or not', async () => {
    const facts = new FactsCache();
    facts.noticesUp(true);
    const f = counting();
    const validUntil = () => at(1000);
    expect(await facts.read('k', at(0), f.load, { validUntil })).toBe(1);
    expect(await facts.read('k', at(999), f.load, { validUntil })).toBe(1);
    expect(await facts.read('k', at(1000), f.load, { validUntil })).toBe(2);
  });

  it('reads a fact again once it is NOTICED_MAX_AGE_MS old by the wall clock, in case a notice was lost', async () => {
    let wall = 1_000_000;
    vi.spyOn(performance, 'now').mockImplementation(() => wall);
    const facts = new FactsCache();
    facts.noticesUp(true);
    const f = counting();
    await facts.read('k', at(0), f.load);
    let ms = 0;
    while (ms < NOTICED_MAX_AGE_MS - 1600) {
      ms += 1600;
      wall += 1600;
      await facts.read('k', at(ms), f.load);
      await settle();
    }
    expect(f.reads).toBe(1);
    ms += 1600;
    wall += 1600;
    await facts.read('k', at(ms), f.load);
    await settle();
    expect(f.reads).toBe(2);
  });

  it('does not keep a load that failed, and a failed background read leaves the value held', async () => {
    const facts = new FactsCache();
    let fail = true;
    const load = async () => {
      if (fail) throw new Error('database down');
      return 'ok';
    };
    await expect(facts.read('k', at(0), load)).rejects.toThrow('database down');
    fail = false;
    expect(await facts.read('k', at(10), load)).toBe('ok');
    fail = true;
    expect(await facts.read('k', at(1600), load)).toBe('ok');
    await settle();
    expect(await facts.read('k', at(1700), load)).toBe('ok');
  });
});
