import { describe, expect, it } from 'vitest';
import { GroupCommit, type BatchFailure } from '../../src/postgres/group-commit';

/** A write that the test finishes by hand, recording the batches it was given; `fail` says which batches fail. */
function manualWrites(fail: (items: number[], attempt: number) => boolean = () => false) {
  const batches: number[][] = [];
  const pending: (() => void)[] = [];
  // The most statements on their way at once.
  const most = { inFlight: 0 };
  const write = (items: number[]) =>
    new Promise<string[]>((resolve, reject) => {
      batches.push(items);
      const attempt = batches.filter((b) => b.join() === items.join()).length;
      most.inFlight = Math.max(most.inFlight, pending.length + 1);
      pending.push(() => (fail(items, attempt) ? reject(new Error(`failed ${items.join(',')}`)) : resolve(items.map((i) => `row ${i}`))));
    });
  const finishAll = async () => {
    while (pending.length > 0) {
      pending.shift()!();
      await new Promise((r) => setImmediate(r));
    }
  };
  return { batches, write, finishAll, most };
}

const limits = (failure: BatchFailure, o: { maxInFlight?: number; maxBatch?: number } = {}) => ({ maxInFlight: 1, maxBatch: 10, failure: () => failure, ...o });
const statuses = (settled: PromiseSettledResult<unknown>[]) => settled.map((s) => (s.status === 'fulfilled' ? s.value : `× ${(s.reason as Error).message}`));

describe('group commit', () => {
  it('sends a lone write at once, and the writes that queue behind it together in one batch', async () => {
    const w = manualWrites();
    const commits = new GroupCommit(w.write, limits('batch'));
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
    const commits = new GroupCommit(w.write, limits('batch', { maxInFlight: 2, maxBatch: 2 }));
    const all = [1, 2, 3, 4, 5, 6, 7].map((i) => commits.submit(i));
    expect(w.batches).toEqual([[1], [2]]);
    await w.finishAll();
    expect(w.batches).toEqual([[1], [2], [3, 4], [5, 6], [7]]);
    expect(await Promise.all(all)).toEqual([1, 2, 3, 4, 5, 6, 7].map((i) => `row ${i}`));
  });

  it("writes a batch that failed for one item's data again item by item, in turn: only the bad item fails", async () => {
    const w = manualWrites((items) => items.includes(3));
    const commits = new GroupCommit(w.write, limits('rows'));
    const first = commits.submit(1);
    const later = Promise.allSettled([2, 3, 4].map((i) => commits.submit(i)));
    await w.finishAll();
    expect(w.batches).toEqual([[1], [2, 3, 4], [2], [3], [4]]);
    // One statement at a time, the retries included: they stay within the batch's slot.
    expect(w.most.inFlight).toBe(1);
    expect(await first).toBe('row 1');
    expect(statuses(await later)).toEqual(['row 2', '× failed 3', 'row 4']);
  });

  it('writes a batch that met a deadlock once more, and fails it if that fails too', async () => {
    const w = manualWrites((items, attempt) => items.includes(6) || (items.includes(5) && attempt === 1));
    const commits = new GroupCommit(w.write, limits('again'));
    const lucky = commits.submit(5);
    await w.finishAll();
    expect(await lucky).toBe('row 5');
    const unlucky = commits.submit(6).catch((err: Error) => err.message);
    await w.finishAll();
    expect(await unlucky).toBe('failed 6');
    expect(w.batches).toEqual([[5], [5], [6], [6]]);
  });

  it("fails the batch and the writes queued behind it, untried, when no connection could be made; a later write tries again", async () => {
    const w = manualWrites(() => true);
    const commits = new GroupCommit(w.write, limits('down'));
    const all = Promise.allSettled([1, 2, 3].map((i) => commits.submit(i)));
    await w.finishAll();
    expect(w.batches).toEqual([[1]]);
    expect(statuses(await all)).toEqual(['× failed 1', '× failed 1', '× failed 1']);
    const later = commits.submit(4).catch((err: Error) => err.message);
    await w.finishAll();
    expect(w.batches).toEqual([[1], [4]]);
    expect(await later).toBe('failed 4');
  });

  it('fails only the batch for any other fault: the writes queued behind it are still written', async () => {
    const w = manualWrites((items) => items.includes(1));
    const commits = new GroupCommit(w.write, limits('batch'));
    const all = Promise.allSettled([1, 2, 3].map((i) => commits.submit(i)));
    await w.finishAll();
    expect(w.batches).toEqual([[1], [2, 3]]);
    expect(statuses(await all)).toEqual(['× failed 1', 'row 2', 'row 3']);
  });

  it('fails only the item whose own answer fails, and goes on after a write that throws or a classifier that throws', async () => {
    let calls = 0;
    const commits = new GroupCommit<number, number>(
      (items) => {
        if (calls++ === 0) throw new Error('thrown at once');
        return Promise.resolve(items.map((i) => (i === 3 ? Promise.reject(new Error('no row for 3')) : i)));
      },
      {
        maxInFlight: 1,
        maxBatch: 10,
        failure: () => {
          throw new Error('classifier broken');
        },
      },
    );
    await expect(commits.submit(1)).rejects.toThrow('thrown at once');
    expect(statuses(await Promise.allSettled([commits.submit(2), commits.submit(3)]))).toEqual([2, '× no row for 3']);
  });
});
