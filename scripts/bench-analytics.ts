/**
 * The figures over a year of 1,000,000 calls, on real PostgreSQL:
 *
 *   BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres npx tsx scripts/bench-analytics.ts [--calls 1000000] [--runs 5] [--seed-with-rollups] [--keep]
 *
 * Creates a scratch database (threering_bench_<random>), migrates it, seeds the calls and one
 * ring attempt each with one generate_series (the rollup triggers off, then rollup_rebuild();
 * --seed-with-rollups keeps the triggers on instead), times a call's end with the rollup triggers
 * off and on, then times the admin API over HTTP on loopback (median and slowest of `runs`,
 * after one warm-up) and drops the database (--keep leaves it, named in the output, for EXPLAIN;
 * drop it yourself).
 */
import { parseArgs } from 'node:util';
import { Client } from 'pg';
import { createLogger } from '../src/logger';
import { startInProcessServer } from '../src/simulator/in-process-server';
import { percentile } from '../src/simulator/simulation';
import { createScratchDatabase } from './scratch-database';

async function main() {
  const { values } = parseArgs({
    options: { calls: { type: 'string', default: '1000000' }, runs: { type: 'string', default: '5' }, 'seed-with-rollups': { type: 'boolean', default: false }, keep: { type: 'boolean', default: false } },
    strict: true,
  });
  const seedWithRollups = values['seed-with-rollups'];
  const calls = Number(values.calls);
  const runs = Number(values.runs);
  const base = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
  const scratch = await createScratchDatabase(base, 'bench');
  const { name } = scratch;
  const adminToken = 'bench-admin-token-0123456789';
  let server: Awaited<ReturnType<typeof startInProcessServer>> | null = null;
  try {
    server = await startInProcessServer({ DATABASE_URL: scratch.url, ADMIN_TOKEN: adminToken, LOG_LEVEL: 'error' }, { logger: createLogger('error', true) });
    // Seeding takes longer than the server's 8 s query timeout: a connection of its own.
    const db = new Client({ connectionString: scratch.url });
    await db.connect();
    const t0 = performance.now();
    if (!seedWithRollups) await rollupTriggers(db, false);
    await db.query(`INSERT INTO agents (name, phone, position) SELECT 'Agent ' || g, '+86138000000' || lpad(g::text, 2, '0'), g FROM generate_series(1, 10) g`);
    // A year of calls ending now, one every ~31.5 s: 80 % answered (70 % of those within the rule), 12 % missed, 8 % abandoned.
    await db.query(
      `INSERT INTO calls (call_sid, from_number, to_number, started_at, rotation_offset, state, outcome, missed_reason, answered_by_agent_id,
                          accepted_at, wait_seconds, within_answer_rule, ended_at, talk_seconds, ended_by, first_ring_seconds)
       SELECT 'CA' || lpad(g::text, 32, '0'), '+86139' || lpad((g % 100000000)::text, 8, '0'), '+864008001234',
              now() - make_interval(secs => g * (365 * 86400.0 / $1)), g, 'ended',
              CASE WHEN g % 25 < 20 THEN 'answered' WHEN g % 25 < 23 THEN 'missed' ELSE 'abandoned' END,
              CASE WHEN g % 25 BETWEEN 20 AND 22 THEN 'all-agents-tried' END,
              CASE WHEN g % 25 < 20 THEN (SELECT id FROM agents ORDER BY position OFFSET (g % 10) LIMIT 1) END,
              CASE WHEN g % 25 < 20 THEN now() - make_interval(secs => g * (365 * 86400.0 / $1)) + interval '8 seconds' END,
              CASE WHEN g % 25 < 20 THEN 4 + (g % 13) WHEN g % 25 >= 23 THEN 3 + (g % 30) END,
              CASE WHEN g % 25 < 20 THEN (4 + (g % 13)) <= 10 END,
              now() - make_interval(secs => g * (365 * 86400.0 / $1)) + interval '90 seconds',
              CASE WHEN g % 25 < 20 THEN 30 + (g % 300) END,
              CASE WHEN g % 25 < 20 THEN 'agent' WHEN g % 25 >= 23 THEN 'caller' ELSE 'system' END,
              1 + (g % 3)
       FROM generate_series(1, $1) g`,
      [calls],
    );
    await db.query(
      `INSERT INTO ring_attempts (call_id, seq, agent_id, endpoint, offered_at, initiated_at, ringing_at, ring_seconds, outcome, dial_call_status, finished_at)
       SELECT c.id, 0, a.id, a.phone, c.started_at, c.started_at, c.started_at + interval '1 second', 3 + (c.rotation_offset % 8),
              CASE WHEN c.outcome = 'answered' THEN 'accepted' ELSE 'no-answer' END, 'completed', c.ended_at
       FROM calls c JOIN agents a ON a.position = 1 + (c.rotation_offset % 10)`,
    );
    const seeded = (performance.now() - t0) / 1000;
    const t1 = performance.now();
    if (!seedWithRollups) {
      await rollupTriggers(db, true);
      await db.query('SELECT rollup_rebuild()');
    }
    const rebuilt = (performance.now() - t1) / 1000;
    await db.query('ANALYZE');
    const ends = await timeCallEnds(db);
    await db.query('ANALYZE');
    await db.end();
    const now = new Date();
    const day = 86400_000;
    const isoWeek = (() => {
      const d = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() - 7));
      const dayNum = (d.getUTCDay() + 6) % 7;
      d.setUTCDate(d.getUTCDate() - dayNum + 3);
      const firstThursday = new Date(Date.UTC(d.getUTCFullYear(), 0, 4));
      const week = 1 + Math.round(((d.getTime() - firstThursday.getTime()) / day - 3 + ((firstThursday.getUTCDay() + 6) % 7)) / 7);
      return `${d.getUTCFullYear()}-W${String(week).padStart(2, '0')}`;
    })();
    const cases: [string, string][] = [
      ['GET /api/analytics/summary, one year', `/api/analytics/summary?from=${new Date(now.getTime() - 365 * day).toISOString()}&to=${now.toISOString()}`],
      ['GET /api/analytics/summary, one week (default)', '/api/analytics/summary'],
      [`GET /api/reports/weekly?week=${isoWeek}`, `/api/reports/weekly?week=${isoWeek}`],
      ['GET /api/calls?limit=50', '/api/calls?limit=50'],
    ];
    process.stdout.write(
      `seeded ${calls} calls and ${calls} ring attempts in ${seeded.toFixed(0)} s, rollup triggers ${seedWithRollups ? 'on' : `off, then rollup_rebuild() in ${rebuilt.toFixed(0)} s`} (${name})\n` +
        `a call's end (UPDATE calls + UPDATE ring_attempts), median ms over ${ends.off.length} each: triggers off ${percentile(ends.off, 50)!.toFixed(2)}, on ${percentile(ends.on, 50)!.toFixed(2)}\n` +
        `| request | median ms | slowest ms |\n|---|---|---|\n`,
    );
    for (const [label, path] of cases) {
      const times: number[] = [];
      for (let i = 0; i <= runs; i++) {
        const started = performance.now();
        const res = await fetch(server.url + path, { headers: { authorization: `Bearer ${adminToken}` } });
        await res.text();
        if (res.status !== 200) throw new Error(`${path}: ${res.status}`);
        if (i > 0) times.push(performance.now() - started);
      }
      process.stdout.write(`| ${label} | ${percentile(times, 50)!.toFixed(0)} | ${Math.max(...times).toFixed(0)} |\n`);
    }
  } finally {
    await server?.close();
    if (!values.keep) await scratch.drop();
  }
}

const ROLLUP_TRIGGERS: [string, string][] = [
  ['calls', 'calls_rollup_insert'],
  ['calls', 'calls_rollup_update'],
  ['calls', 'calls_rollup_delete'],
  ['ring_attempts', 'ring_attempts_rollup_insert'],
  ['ring_attempts', 'ring_attempts_rollup_update'],
  ['ring_attempts', 'ring_attempts_rollup_delete'],
];

async function rollupTriggers(db: Client, on: boolean) {
  for (const [table, trigger] of ROLLUP_TRIGGERS) await db.query(`ALTER TABLE ${table} ${on ? 'ENABLE' : 'DISABLE'} TRIGGER ${trigger}`);
}

/**
 * A call's end as the hotline writes it (the call's outcome, then its attempt's), one statement
 * at a time, for calls that arrived two years ago (outside every range timed here), in batches
 * with the rollup triggers off, on, off, on, so neither side gets the warmer cache.
 */
async function timeCallEnds(db: Client, perBatch = 150): Promise<{ off: number[]; on: number[] }> {
  const agent = (await db.query<{ id: string }>('SELECT id FROM agents ORDER BY position LIMIT 1')).rows[0]!.id;
  const times = { off: [] as number[], on: [] as number[] };
  for (const [batch, on] of [false, true, false, true].entries()) {
    await rollupTriggers(db, on);
    const ids = (
      await db.query<{ id: string }>(
        `INSERT INTO calls (call_sid, from_number, to_number, started_at, rotation_offset, state)
         SELECT 'CB' || lpad(($1 * 1000 + g)::text, 32, '0'), '+8613900000000', '+864008001234',
                now() - interval '730 days' + make_interval(secs => $1 * 1000 + g), g, 'connected'
         FROM generate_series(1, $2) g RETURNING id`,
        [batch, perBatch],
      )
    ).rows.map((r) => r.id);
    await db.query(
      `INSERT INTO ring_attempts (call_id, seq, agent_id, endpoint, offered_at) SELECT id, 0, $2, 'x', started_at FROM calls WHERE id = ANY($1::uuid[])`,
      [ids, agent],
    );
    for (const id of ids) {
      const started = performance.now();
      await db.query(
        `UPDATE calls SET state = 'ended', outcome = 'answered', answered_by_agent_id = $2, wait_seconds = 7.5, within_answer_rule = true,
           talk_seconds = 95.25, first_ring_seconds = 1.5, ended_at = started_at + interval '103 seconds', ended_by = 'agent' WHERE id = $1`,
        [id, agent],
      );
      await db.query(
        `UPDATE ring_attempts SET initiated_at = offered_at, ring_seconds = 6, outcome = 'accepted', dial_call_status = 'completed',
           finished_at = offered_at + interval '103 seconds' WHERE call_id = $1`,
        [id],
      );
      (on ? times.on : times.off).push(performance.now() - started);
    }
  }
  return times;
}

main().catch((err) => {
  process.stderr.write(`bench-analytics: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
