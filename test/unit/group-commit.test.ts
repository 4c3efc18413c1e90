import { describe, expect, it } from 'vitest';
import { GroupCommit } from '../../src/postgres/group-commit';

/** A write that the test finishes by hand, recording the batches it was given. */
function manualWrites(fail: (item: number) => boolean = () => false) {
  const batches: number[][] = [];
  const pending: (() => void)[] = [];
  const write = (items: number[]) =>
    new Promise<string[]>((resolve, reject) => {
      batches.push(items);
      pending.push(() => (items.some(fail) ? reject(new Error(`bad item in ${items.join(',')}`)) : resolve(items.map((i) => `row ${i}`))));
    });
  const finishAll = async () => {
    while (pending.length > 0) {
      pending.shift()!();
      await new Promise((r) => setImmediate(r));
    }
  };
  return { batches, write, finishAll };
}

describe('group commit', () => {
  it('sends a lone write at once, and the writes that queue behind it together in one batch', async () => {
    const w = manualWrites();
    const commits = new GroupCommit(w.write, { maxInFlight: 1, maxBatch: 10, rowFault: () => true });
    const first = commits.submit(1);
    expect(w.batches).toEqual([[1]]);
    const later = [2, 3, 4].map((i) => commits.submit(i));
    expect(w.batches).toEqual([[1]]);
    await w.finishAll();
    expect(w.batches).toEqual([[1], [2, 3, 4]]);
    expect(await first).toBe('row 1');
    expect(await Promise.all(later)).toEqual(['row 2', 'row 3', 'row 4']);
  });

  it('keeps to its limits: statements at once, and items in one statement', async () => {
    const w = manualWrites();
    const commits = new GroupCommit(w.write, { maxInFlight: 2, maxBatch: 2, rowFault: () => true });
    const all = [1, 2, 3, 4, 5, 6, 7].map((i) => commits.submit(i));
    expect(w.batches).toEqual([[1], [2]]);
    await w.finishAll();
    expect(w.batches).toEqual([[1], [2], [3, 4], [5, 6], [7]]);
    expect(await Promise.all(all)).toEqual([1, 2, 3, 4, 5, 6, 7].map((i) => `row ${i}`));
  });

  it("writes a failed batch again item by item when the fault is its rows': only the bad item fails", async () => {
    const w = manualWrites((i) => i === 3);
    const commits = new GroupCommit(w.write, { maxInFlight: 1, maxBatch: 10, rowFault: () => true });
    const first = commits.submit(1);
    const later = Promise.allSettled([2, 3, 4].map((i) => commits.submit(i)));
    await w.finishAll();
    expect(w.batches).toEqual([[1], [2, 3, 4], [2], [3], [4]]);
    expect(await first).toBe('row 1');
    const settled = await later;
    expect(settled.map((s) => s.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect((settled[1] as PromiseRejectedResult).reason.message).toBe('bad item in 3');
  });

  it("fails the batch and the writes queued behind it, untried, when the fault is the database's", async () => {
    const w = manualWrites(() => true);
    const commits = new GroupCommit(w.write, { maxInFlight: 1, maxBatch: 10, rowFault: () => false });
    const all = Promise.allSettled([1, 2, 3].map((i) => commits.submit(i)));
    await w.finishAll();
    // 2 and 3 were queued behind 1: they fail with it, untried.
    expect(w.batches).toEqual([[1]]);
    expect((await all).every((s) => s.status === 'rejected' && s.reason.message === 'bad item in 1')).toBe(true);
    // A write asked for afterwards is tried again.
    const after = commits.submit(4);
    const late = after.catch((err: Error) => err.message);
    await w.finishAll();
    expect(w.batches).toEqual([[1], [4]]);
    expect(await late).toBe('bad item in 4');
  });

  it('goes on after a write that throws before it returns a promise', async () => {
    let calls = 0;
    const commits = new GroupCommit<number, number>(
      (items) => {
        if (calls++ === 0) throw new Error('thrown at once');
        return Promise.resolve(items);
      },
      { maxInFlight: 1, maxBatch: 10, rowFault: () => false },
    );
    await expect(commits.submit(1)).rejects.toThrow('thrown at once');
    expect(await commits.submit(2)).toBe(2);
  });
});
