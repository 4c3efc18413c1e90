import { describe, expect, it } from 'vitest';
import { percentileCont } from '../../src/domain/percentile';
import { rollupPlan } from '../../src/domain/rollup-slots';

const d = (iso: string) => new Date(iso);
const iso = (ranges: { from: Date; to: Date }[]) => ranges.map((r) => `${r.from.toISOString()}/${r.to.toISOString()}`);

describe('which pieces of a range the rollups answer', () => {
  it('a range shorter than a slot is read from the calls alone', () => {
    const plan = rollupPlan(d('2026-11-23T02:03:00Z'), d('2026-11-23T02:14:59Z'));
    expect(plan).toEqual({ raw: [{ from: d('2026-11-23T02:03:00Z'), to: d('2026-11-23T02:14:59Z') }], days: [], slots: [], allSlots: null });
  });

  it('a Shanghai week (aligned to local midnight) is whole days and whole slots, with no raw edge', () => {
    const plan = rollupPlan(d('2026-11-22T16:00:00Z'), d('2026-11-29T16:00:00Z'));
    expect(plan.raw).toEqual([]);
    expect(iso(plan.days)).toEqual(['2026-11-23T00:00:00.000Z/2026-11-29T00:00:00.000Z']);
    expect(iso(plan.slots)).toEqual(['2026-11-22T16:00:00.000Z/2026-11-23T00:00:00.000Z', '2026-11-29T00:00:00.000Z/2026-11-29T16:00:00.000Z']);
  });

  it('ragged ends go to the calls, and every moment of the range is in exactly one piece', () => {
    const from = d('2026-11-22T23:52:10.500Z');
    const to = d('2026-11-25T00:07:00Z');
    const plan = rollupPlan(from, to);
    expect(iso(plan.raw)).toEqual(['2026-11-22T23:52:10.500Z/2026-11-23T00:00:00.000Z', '2026-11-25T00:00:00.000Z/2026-11-25T00:07:00.000Z']);
    expect(iso(plan.days)).toEqual(['2026-11-23T00:00:00.000Z/2026-11-25T00:00:00.000Z']);
    expect(plan.slots).toEqual([]);
    const pieces = [...plan.raw, ...plan.days, ...plan.slots].sort((x, y) => x.from.getTime() - y.from.getTime());
    expect(pieces[0]!.from).toEqual(from);
    expect(pieces.at(-1)!.to).toEqual(to);
    pieces.slice(1).forEach((p, i) => expect(p.from).toEqual(pieces[i]!.to));
  });

  it('slots within one day are read as slots', () => {
    const plan = rollupPlan(d('2026-11-23T02:15:00Z'), d('2026-11-23T05:40:00Z'));
    expect(iso(plan.slots)).toEqual(['2026-11-23T02:15:00.000Z/2026-11-23T05:30:00.000Z']);
    expect(iso(plan.raw)).toEqual(['2026-11-23T05:30:00.000Z/2026-11-23T05:40:00.000Z']);
    expect(plan.days).toEqual([]);
  });
});

describe('the 90th percentile from a histogram', () => {
  it('interpolates between neighbouring ranks as percentile_cont does', () => {
    // 1, 2, 2, 3, 3, 3, 4, 10, 10, 12: position 0.9 * 9 = 8.1 lies between 10 and 12.
    const h = [{ value: 1, count: 1 }, { value: 2, count: 2 }, { value: 3, count: 3 }, { value: 4, count: 1 }, { value: 10, count: 2 }, { value: 12, count: 1 }];
    expect(percentileCont(h, 0.9)).toBeCloseTo(10.2, 12);
    expect(percentileCont([{ value: 2.6, count: 1 }], 0.9)).toBe(2.6);
    expect(percentileCont([], 0.9)).toBeNull();
  });
});
