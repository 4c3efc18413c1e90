import { describe, expect, it } from 'vitest';
import { huntOrder } from '../../src/domain/rotation';

const roster = [
  { id: 'c', position: 3 },
  { id: 'a', position: 1 },
  { id: 'b', position: 2 },
];

describe('the hunt order', () => {
  it('starts at the call rotation offset and wraps around the roster in position order', () => {
    expect(huntOrder(roster, 0, new Set()).map((a) => a.id)).toEqual(['a', 'b', 'c']);
    expect(huntOrder(roster, 1, new Set()).map((a) => a.id)).toEqual(['b', 'c', 'a']);
    expect(huntOrder(roster, 5, new Set()).map((a) => a.id)).toEqual(['c', 'a', 'b']);
  });

  it('gives each agent the first offer equally often over consecutive calls', () => {
    const firsts = Array.from({ length: 300 }, (_, i) => huntOrder(roster, i, new Set())[0]!.id);
    expect(['a', 'b', 'c'].map((id) => firsts.filter((f) => f === id).length)).toEqual([100, 100, 100]);
  });

  it('leaves out agents this call already tried', () => {
    expect(huntOrder(roster, 1, new Set(['b', 'a'])).map((a) => a.id)).toEqual(['c']);
    expect(huntOrder(roster, 1, new Set(['a', 'b', 'c']))).toEqual([]);
  });

  it('copes with no agents and breaks position ties by id', () => {
    expect(huntOrder([], 7, new Set())).toEqual([]);
    const tied = [{ id: 'y', position: 1 }, { id: 'x', position: 1 }];
    expect(huntOrder(tied, 0, new Set()).map((a) => a.id)).toEqual(['x', 'y']);
  });
});
