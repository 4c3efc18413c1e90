import type { Clock } from '../../src/domain/clock';
import { PostgresCallEndEffectStore } from '../../src/postgres/call-end-effect-store';
import { PostgresCallStore } from '../../src/postgres/call-store';
import { PostgresCallbackJobStore } from '../../src/postgres/callback-job-store';
import { PostgresComplaintStore } from '../../src/postgres/complaint-store';
import type { Db, Queryable } from '../../src/postgres/db';
import { PostgresCoordinator } from '../../src/postgres/postgres-coordinator';
import { PostgresNotifyStore } from '../../src/postgres/notify-store';
import { PostgresWhisperFlagStore } from '../../src/postgres/whisper-flag-store';
import { PostgresTicketStore } from '../../src/postgres/ticket-store';
import type { Statement } from './recording-db';

export interface PeriodicQuery {
  name: string;
  /** The indexes (migration 0020 and before) its plan is expected to use. */
  indexes: string[];
  run(db: Db): Promise<unknown>;
}

/**
 * The queries that run on a timer on every instance (settler, complaint sweep, callback scheduler,
 * call-end outbox) and the claim that runs per offer while Redis is down, each as its store sends
 * it: test/integration/periodic-query-plans.test.ts checks their plans, scripts/bench-scale.ts
 * times them on a large history.
 */
export function periodicQueries(clock: Clock, someCallId: string): PeriodicQuery[] {
  const coordinator = (db: Db) => new PostgresCoordinator(db, clock, { ringMs: 30_000, talkMs: 3_600_000 });
  return [
    { name: 'settler: overdue hunting calls', indexes: ['calls_hunting'], run: (db) => new PostgresCallStore(db).listOverdueHunting(clock.now(), 50) },
    { name: 'settler: stale connected calls', indexes: ['calls_connected'], run: (db) => new PostgresCallStore(db).listStaleConnected(new Date(clock.now().getTime() - 3_600_000), 50) },
    { name: "settler: a call's final statuses", indexes: ['calls_pkey', 'leg_events_attempt'], run: (db) => new PostgresCallStore(db).terminalEventsOf(someCallId) },
    { name: 'complaint sweep: calls typed complaint', indexes: ['calls_complaints'], run: (db) => new PostgresComplaintStore(db).untaken(100) },
    { name: 'complaint sweep: reminders due', indexes: ['complaint_cases_remind'], run: (db) => new PostgresComplaintStore(db).claimReminders(clock.now()) },
    { name: 'complaint sweep: alerts due', indexes: ['complaint_cases_alert'], run: (db) => new PostgresComplaintStore(db).claimAlerts(clock.now()) },
    { name: 'callback scheduler: jobs due', indexes: ['callback_jobs_open'], run: (db) => new PostgresCallbackJobStore(db).claimDue(clock.now(), 60_000, 20) },
    { name: 'call-end outbox: effects due', indexes: ['call_end_effects_unfinished'], run: (db) => new PostgresCallEndEffectStore(db).claimDue(['rating'], clock.now(), clock.now(), 20) },
    {
      name: 'failover claim: agents busy on record',
      indexes: ['ring_attempts_unfinished', 'callback_attempts_unfinished'],
      run: (db) => coordinator(db).claimFirstFree([someCallId], 'bench-plan:0', 60_000),
    },
    { name: 'failover copy-back: claims on record', indexes: ['ring_attempts_unfinished', 'callback_attempts_unfinished'], run: (db) => coordinator(db).claimsOnRecord() },
    { name: 'notify outbox: notices due', indexes: ['notifications_due'], run: (db) => new PostgresNotifyStore(db).claimDue(clock.now(), 60_000, 50) },
    {
      name: 'ring card: the caller on record (per offer)',
      indexes: ['calls_from_number', 'complaint_cases_open_phone', 'callbacks_one_open_per_phone', 'customers_phone_key', 'tickets_phone_open'],
      run: (db) => new PostgresNotifyStore(db).enqueueRingCard(someCallId, someCallId, '+8613911112222', clock.now()),
    },
    {
      name: 'whisper: the caller\'s open complaint and missed call today (per pick-up)',
      indexes: ['complaint_cases_open_phone', 'calls_from_number'],
      run: (db) => new PostgresWhisperFlagStore(db).flagsOf('+8613911112222', someCallId, clock.now(), new Date(clock.now().getTime() - 10 * 3_600_000)),
    },
    { name: 'ticket sweep: reminders due', indexes: ['tickets_remind'], run: (db) => new PostgresTicketStore(db).claimReminders(clock.now()) },
    { name: 'ticket sweep: alerts due', indexes: ['tickets_alert'], run: (db) => new PostgresTicketStore(db).claimAlerts(clock.now()) },
    { name: 'ticket sweep: dispatch chases due', indexes: ['tickets_chase'], run: (db) => new PostgresTicketStore(db).claimChases(clock.now(), clock.now()) },
    { name: 'ticket sweep: return visits owed', indexes: ['complaint_cases_return_visit_owed'], run: (db) => new PostgresTicketStore(db).openOwedReturnVisits(() => ({ dueAt: clock.now(), remindAt: clock.now() })) },
    { name: "ring card: the caller's open tickets", indexes: ['tickets_phone_open', 'complaint_cases_open_phone'], run: (db) => new PostgresTicketStore(db).openTicketsForPhone('+8613911112222') },
  ];
}

/** The statements `run` sends, recorded without changing anything (run in a transaction rolled back). */
export async function statementsOf(db: Db, run: (db: Db) => Promise<unknown>): Promise<Statement[]> {
  const statements: Statement[] = [];
  await rolledBack(db, async (tx) => {
    await run(asDb(db, tx, statements));
  });
  return statements;
}

/** Each statement's plan (EXPLAIN `options`), in a transaction rolled back (ANALYZE runs them); `setup` first (SET LOCAL ...). */
export function plansOf(db: Db, statements: readonly Statement[], options = '', setup: string[] = []): Promise<string[]> {
  return rolledBack(db, async (tx) => {
    for (const s of setup) await tx.query(s);
    const plans: string[] = [];
    for (const s of statements) {
      const rows = await tx.query<{ 'QUERY PLAN': string }>(`EXPLAIN ${options} ${s.sql}`, s.params);
      plans.push(rows.map((r) => r['QUERY PLAN']).join('\n'));
    }
    return plans;
  });
}

/** Runs fn in a transaction that is always rolled back; returns what fn returned. */
export async function rolledBack<T>(db: Db, fn: (tx: Queryable) => Promise<T>): Promise<T> {
  let out: T | undefined;
  const undo = new Error('rolled back on purpose');
  await db.transaction(async (tx) => {
    out = await fn(tx);
    throw undo;
  }).catch((err: unknown) => {
    if (err !== undo) throw err;
  });
  return out as T;
}

/** A Db whose every statement goes to `tx`, noted in `into`. */
function asDb(db: Db, tx: Queryable, into: Statement[]): Db {
  const query = <T>(sql: string, params: unknown[] = []) => {
    into.push({ sql, params });
    return tx.query<T>(sql, params);
  };
  return { kind: db.kind, query, transaction: (fn) => fn({ query }), exec: (sql) => tx.query(sql).then(() => undefined), close: async () => {} } as Db;
}
