import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { Clock } from '../domain/clock';
import type { Coordinator } from '../domain/ports';
import type { Db } from '../postgres/db';
import type { FactsCache } from '../postgres/facts-cache';

/**
 * The operator's Prometheus figures, one registry per server instance. Request latencies are
 * this instance's own; the figures read from the database at scrape time (calls, agents, lags)
 * are the same on every instance, so aggregate them with max(), not sum(). See README "Metrics".
 */
export class Metrics {
  readonly registry = new Registry();
  private readonly webhookSeconds: Histogram<'route' | 'status'>;

  constructor(private readonly d: { db: Db; coordinator: Coordinator; clock: Clock; facts?: FactsCache; moves?: { outcomes(): Readonly<Record<string, number>> } }) {
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry, prefix: 'threering_' });
    this.webhookSeconds = new Histogram({
      name: 'threering_webhook_duration_seconds',
      help: 'Time to answer a Twilio webhook, by route and HTTP status',
      labelNames: ['route', 'status'],
      // Twilio gives up at 15 s; the rule of thumb for a voice webhook is well under 1 s.
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 15],
      registers,
    });
    const db = this.d.db;
    // A scrape while PostgreSQL is down still answers (the spool depth and Redis figures matter most
    // then): each figure read from the database keeps its last value and the failure is counted.
    // prom-client collects every figure of a scrape at once, in the order registered: this one is
    // registered last (end of the constructor) and waits for the database reads.
    const reading = new Set<Promise<void>>();
    const databaseReadErrors = new Counter({
      name: 'threering_metrics_database_read_errors_total',
      help: 'Scrapes of a figure read from PostgreSQL that failed (the figure kept its last value)',
      registers: [],
      async collect() {
        await Promise.all([...reading]);
      },
    });
    function fromDatabase<G>(read: (this: G) => Promise<void>): (this: G) => Promise<void> {
      return async function (this: G) {
        const done = read.call(this).catch(() => databaseReadErrors.inc());
        reading.add(done);
        await done.finally(() => reading.delete(done));
      };
    }
    const since = () => new Date(this.d.clock.now().getTime() - 24 * 3600 * 1000);
    new Gauge({
      name: 'threering_calls_last_24h',
      help: 'Calls that arrived in the last 24 hours, by outcome (or "in_progress") and hotline number',
      labelNames: ['outcome', 'hotline'],
      registers,
      collect: fromDatabase(async function () {
        const rows = await db.query<{ outcome: string | null; to_number: string; n: string }>(
          `SELECT outcome, to_number, count(*) AS n FROM calls WHERE started_at >= $1 GROUP BY outcome, to_number`,
          [since()],
        );
        this.reset();
        for (const r of rows) this.set({ outcome: r.outcome ?? 'in_progress', hotline: r.to_number }, Number(r.n));
      }),
    });
    new Gauge({
      name: 'threering_answered_within_rule_last_24h',
      help: 'Calls of the last 24 hours answered within ANSWER_THRESHOLD_SECONDS, by hotline number',
      labelNames: ['hotline'],
      registers,
      collect: fromDatabase(async function () {
        const rows = await db.query<{ to_number: string; n: string }>(
          `SELECT to_number, count(*) AS n FROM calls WHERE started_at >= $1 AND within_answer_rule GROUP BY to_number`,
          [since()],
        );
        this.reset();
        for (const r of rows) this.set({ hotline: r.to_number }, Number(r.n));
      }),
    });
    const coordinator = this.d.coordinator;
    new Gauge({
      name: 'threering_agents',
      help: 'Agents on the roster by state: on_duty (free), ringing, talking, paused, inactive',
      labelNames: ['state'],
      registers,
      collect: fromDatabase(async function () {
        const agents = await db.query<{ id: string; active: boolean; paused: boolean }>('SELECT id, active, paused FROM agents');
        const talking = new Set((await db.query<{ id: string }>(`SELECT answered_by_agent_id AS id FROM calls WHERE state = 'connected'`)).map((r) => r.id));
        const counts = { on_duty: 0, ringing: 0, talking: 0, paused: 0, inactive: 0 };
        const holders = await Promise.all(agents.map((a) => (a.active && !talking.has(a.id) ? coordinator.holderOf(a.id).catch(() => null) : null)));
        agents.forEach((a, i) => {
          if (!a.active) counts.inactive++;
          else if (talking.has(a.id)) counts.talking++;
          else if (holders[i]) counts.ringing++;
          else if (a.paused) counts.paused++;
          else counts.on_duty++;
        });
        for (const [state, n] of Object.entries(counts)) this.set({ state }, n);
      }),
    });
    new Gauge({
      name: 'threering_scheduler_lag_seconds',
      help: 'How long the oldest due callback job (SMS, reminder, deadline) has been waiting to run; 0 when none is due',
      registers,
      collect: fromDatabase(async function (this: Gauge) {
        const [r] = await db.query<{ oldest: Date | null }>(`SELECT min(run_at) AS oldest FROM callback_jobs WHERE status = 'pending' AND run_at <= $1`, [d.clock.now()]);
        this.set(r?.oldest ? Math.max(0, (d.clock.now().getTime() - new Date(r.oldest).getTime()) / 1000) : 0);
      }),
    });
    new Gauge({
      name: 'threering_outbox_lag_seconds',
      help: 'How long the oldest due call-end effect (callback, customer file, notes SMS) has been waiting; 0 when none is due',
      registers,
      collect: fromDatabase(async function (this: Gauge) {
        const [r] = await db.query<{ oldest: Date | null }>(`SELECT min(next_attempt_at) AS oldest FROM call_end_effects WHERE status = 'pending' AND next_attempt_at <= $1`, [d.clock.now()]);
        this.set(r?.oldest ? Math.max(0, (d.clock.now().getTime() - new Date(r.oldest).getTime()) / 1000) : 0);
      }),
    });
    new Gauge({
      name: 'threering_outbox_failed',
      help: 'Call-end effects given up after their last attempt (see README, "What a call\'s end sets off is never lost")',
      registers,
      collect: fromDatabase(async function (this: Gauge) {
        const [r] = await db.query<{ n: string }>(`SELECT count(*) AS n FROM call_end_effects WHERE status = 'failed'`);
        this.set(Number(r?.n ?? 0));
      }),
    });
    new Gauge({
      name: 'threering_db_pool_connections',
      help: 'PostgreSQL pool connections of this instance: total, idle, and requests waiting for one (none for the embedded database)',
      labelNames: ['state'],
      registers,
      collect() {
        const s = db.poolStats?.();
        if (!s) return;
        this.set({ state: 'total' }, s.total);
        this.set({ state: 'idle' }, s.idle);
        this.set({ state: 'waiting' }, s.waiting);
      },
    });
    new Counter({
      name: 'threering_db_errors_total',
      help: 'Database queries of this instance that failed (timeouts, lost connections, errors)',
      registers,
      collect() {
        const s = db.poolStats?.();
        if (s) {
          this.reset();
          this.inc(s.errors);
        }
      },
    });
    new Counter({
      name: 'threering_redis_errors_total',
      help: 'Redis errors seen by this instance: connection errors and commands that failed or timed out (0 with in-process coordination)',
      registers,
      collect() {
        this.reset();
        this.inc(coordinator.errorCount?.() ?? 0);
      },
    });
    const moves = this.d.moves;
    new Counter({
      name: 'threering_caller_moves_total',
      help: "REST moves of waiting callers to a freed agent (or to the end of their wait) by this instance, by outcome: moved, retried (one per further try), gone (Twilio's 404: the caller hung up), failed (given up: the offer withdrawn, the caller kept in line)",
      labelNames: ['outcome'],
      registers,
      collect() {
        this.reset();
        for (const [outcome, n] of Object.entries(moves?.outcomes() ?? {})) this.inc({ outcome }, n);
      },
    });
    new Gauge({
      name: 'threering_coordination_mode',
      help: 'Where this instance coordinates now: 1 for the mode in use (redis, postgres-fallback while Redis is down, in-process), 0 for the others',
      labelNames: ['mode'],
      registers,
      collect() {
        const now = coordinator.mode?.();
        for (const mode of ['redis', 'postgres-fallback', 'in-process']) this.set({ mode }, mode === now ? 1 : 0);
      },
    });
    const facts = this.d.facts;
    new Gauge({
      name: 'threering_facts_notices_up',
      help: "1 while this instance receives PostgreSQL's change notices for the roster and caller-gate facts it keeps; 0 while it reads them again every 1.5 s instead (embedded database, or the listening connection lost)",
      registers,
      collect() {
        this.set(facts?.noticesArriving ? 1 : 0);
      },
    });
    this.registry.registerMetric(databaseReadErrors);
  }

  /** Called when a webhook has been answered; `route` is one of the known routes or "other". */
  observeWebhook(route: string, status: number, seconds: number): void {
    this.webhookSeconds.observe({ route, status: String(status) }, seconds);
  }

  async render(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }
}
