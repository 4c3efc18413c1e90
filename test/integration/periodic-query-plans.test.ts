import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freshDatabase, type TestDatabase } from '../support/backends';
import { periodicQueries, plansOf, statementsOf } from '../support/periodic-queries';

/**
 * Every query that runs on a timer (settler, complaint sweep, callback scheduler, call-end outbox)
 * and the claim that runs per offer while Redis is down can be served by an index made for its
 * filter (migration 0020), so its cost follows the rows it is after, not the history beside them.
 * The statements are the ones the stores really send, recorded, then EXPLAINed with sequential
 * scans priced out: a plan that still reads the table whole means no index fits the filter.
 * The plans and times on a table of 10,000,000 calls are in docs/PERFORMANCE.md (scripts/bench-scale.ts).
 */
describe('periodic queries have an index for their filter', () => {
  let t: TestDatabase;
  const clock = { now: () => new Date('2026-03-02T10:00:00Z') };

  beforeAll(async () => {
    t = await freshDatabase();
  });
  afterAll(async () => {
    await t?.drop();
  });

  it.each(periodicQueries(clock, '00000000-0000-4000-8000-000000000001').map((q) => [q.name, q] as const))('%s', async (_name, q) => {
    const plans = (await plansOf(t.db, await statementsOf(t.db, q.run), '', ['SET LOCAL enable_seqscan = off'])).join('\n---\n');
    for (const index of q.indexes) expect(plans).toContain(index);
    // No table of history read whole.
    expect(plans).not.toMatch(/Seq Scan on (calls|ring_attempts|callback_attempts|leg_events|callback_jobs|call_end_effects|complaint_cases)\b/);
  });
});
