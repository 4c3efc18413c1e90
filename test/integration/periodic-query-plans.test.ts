import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PostgresCallEndEffectStore } from '../../src/postgres/call-end-effect-store';
import { PostgresCallStore } from '../../src/postgres/call-store';
import { PostgresCallbackJobStore } from '../../src/postgres/callback-job-store';
import { PostgresComplaintStore } from '../../src/postgres/complaint-store';
import type { Db } from '../../src/postgres/db';
import { PostgresCoordinator } from '../../src/postgres/postgres-coordinator';
import { freshDatabase, type TestDatabase } from '../support/backends';
import { recordingDb, type Statement } from '../support/recording-db';

/**
 * Every query that runs on a timer (settler, complaint sweep, callback scheduler, call-end outbox)
 * and the claim that runs per offer while Redis is down can be served by an index made for its
 * filter (migration 0020), so its cost follows the rows it is after, not the history beside them.
 * The statements are the ones the stores really send, recorded, then EXPLAINed with sequential
 * scans priced out: a plan that still reads the table whole means no index fits the filter.
 * The figures on a table of 10,000,000 calls are in docs/PERFORMANCE.md.
 */
describe('periodic queries have an index for their filter', () => {
  let t: TestDatabase;
  let db: Db & { statements: Statement[] };
  const now = new Date('2026-03-02T10:00:00Z');
  const callId = '00000000-0000-4000-8000-000000000001';

  beforeAll(async () => {
    t = await freshDatabase();
    db = recordingDb(t.db);
  });
  afterAll(async () => {
    await t?.drop();
  });

  /** The plans of every statement `run` sends, each EXPLAINed with its own parameters. */
  async function plansOf(run: () => Promise<unknown>): Promise<string[]> {
    db.statements.length = 0;
    await run();
    const sent = [...db.statements];
    return t.db.transaction(async (tx) => {
      await tx.query('SET LOCAL enable_seqscan = off');
      const plans: string[] = [];
      for (const s of sent) {
        const rows = await tx.query<{ 'QUERY PLAN': string }>(`EXPLAIN ${s.sql}`, s.params);
        plans.push(rows.map((r) => r['QUERY PLAN']).join('\n'));
      }
      return plans;
    });
  }

  const cases: [string, string[], () => Promise<unknown>][] = [
    ['settler: overdue hunting calls', ['calls_hunting'], () => new PostgresCallStore(db).listOverdueHunting(now, 50)],
    ['settler: stale connected calls', ['calls_connected'], () => new PostgresCallStore(db).listStaleConnected(now, 50)],
    ['settler: the final status of a call and its agent leg', ['calls_pkey', 'leg_events_attempt'], () => new PostgresCallStore(db).terminalEventsOf(callId)],
    ['complaint sweep: calls typed complaint', ['calls_complaints'], () => new PostgresComplaintStore(db).untaken(100)],
    ['complaint sweep: reminders due', ['complaint_cases_remind'], () => new PostgresComplaintStore(db).claimReminders(now)],
    ['complaint sweep: alerts due', ['complaint_cases_alert'], () => new PostgresComplaintStore(db).claimAlerts(now)],
    ['callback scheduler: jobs due', ['callback_jobs_open'], () => new PostgresCallbackJobStore(db).claimDue(now, 60_000, 20)],
    ['call-end outbox: effects due', ['call_end_effects_unfinished'], () => new PostgresCallEndEffectStore(db).claimDue(['rating'], now, now, 20)],
    [
      'failover claim: agents busy on record',
      ['ring_attempts_unfinished', 'callback_attempts_unfinished'],
      () => new PostgresCoordinator(db, { now: () => now }, { ringMs: 30_000, talkMs: 3_600_000 }).claimFirstFree([callId], 'x:0', 60_000),
    ],
    [
      'failover copy-back: claims on record',
      ['ring_attempts_unfinished', 'callback_attempts_unfinished'],
      () => new PostgresCoordinator(db, { now: () => now }, { ringMs: 30_000, talkMs: 3_600_000 }).claimsOnRecord(),
    ],
  ];

  it.each(cases)('%s', async (_name, indexes, run) => {
    const plans = (await plansOf(run)).join('\n---\n');
    for (const index of indexes) expect(plans).toContain(index);
    // No table of history read whole.
    expect(plans).not.toMatch(/Seq Scan on (calls|ring_attempts|callback_attempts|leg_events|callback_jobs|call_end_effects|complaint_cases)\b/);
  });
});
