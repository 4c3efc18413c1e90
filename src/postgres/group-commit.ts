/**
 * Group commit: writes asked for while earlier ones are on their way to the database wait for
 * them, then go together as one statement. Nothing waits on a timer: alone, a write goes at once,
 * as it would without this; under load, each statement carries every write that queued behind
 * the last ones, and each asker still has its answer only once its own row is committed.
 *
 * Measured on PostgreSQL with sixteen writers (scripts/bench-new-calls.ts, docs/PERFORMANCE.md):
 * new calls written this way cost the database and the pg client each about a fifth of the CPU a
 * row that one statement each costs.
 */

/**
 * What a failed statement means for its batch:
 * - `rows`: one item's data (a value the database refuses): each item is written again alone, in
 *   turn, so that only the bad one fails;
 * - `again`: this statement's bad luck (a deadlock, a serialization failure): the batch is written
 *   once more, as it is;
 * - `down`: no connection could be made: the batch fails, and so does every write queued behind
 *   it, at once, since each would only wait to fail the same way (their askers have somewhere else
 *   to go, src/spool/); a write asked for later tries again;
 * - `batch`: anything else: the batch fails, and the queue goes on.
 */
export type BatchFailure = 'rows' | 'again' | 'down' | 'batch';

type Asker<I, O> = { item: I; resolve: (o: O | PromiseLike<O>) => void; reject: (err: unknown) => void };

export class GroupCommit<I, O> {
  private readonly queue: Asker<I, O>[] = [];
  private inFlight = 0;

  /**
   * `write` writes a batch in one statement and answers each item, in order (an answer may be a
   * promise of its own, so that one item's later step fails only that item). `maxInFlight`
   * statements may run at once; `maxBatch` bounds one statement's size; `failure` tells what a
   * failed statement means (BatchFailure).
   */
  constructor(
    private readonly write: (items: I[]) => Promise<readonly (O | Promise<O>)[]>,
    private readonly o: { maxInFlight: number; maxBatch: number; failure: (err: unknown) => BatchFailure },
  ) {}

  submit(item: I): Promise<O> {
    return new Promise<O>((resolve, reject) => {
      this.queue.push({ item, resolve, reject });
      this.next();
    });
  }

  private next(): void {
    while (this.inFlight < this.o.maxInFlight && this.queue.length > 0) {
      const batch = this.queue.splice(0, this.o.maxBatch);
      this.inFlight++;
      void this.settle(batch, false).finally(() => {
        this.inFlight--;
        this.next();
      });
    }
  }

  /** Answers every asker of the batch; never rejects. */
  private async settle(batch: Asker<I, O>[], again: boolean): Promise<void> {
    let outs: readonly (O | Promise<O>)[];
    try {
      outs = await this.write(batch.map((b) => b.item));
    } catch (err) {
      let failure: BatchFailure = 'batch';
      try {
        failure = this.o.failure(err);
      } catch {
        // A classifier that fails leaves the batch failed as it is.
      }
      if (failure === 'again' && !again) return this.settle(batch, true);
      if (failure === 'rows' && batch.length > 1) {
        for (const b of batch) await this.settle([b], again);
        return;
      }
      for (const b of failure === 'down' ? [...batch, ...this.queue.splice(0)] : batch) b.reject(err);
      return;
    }
    batch.forEach((b, i) => b.resolve(outs[i]!));
  }
}
