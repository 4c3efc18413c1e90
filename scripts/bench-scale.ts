/**
 * Whether a webhook costs the same on a hotline with years of history, a large roster and a long
 * waiting line as on a new one (issue 22, "cost per webhook flat as the hotline grows"). In one
 * run, each in a scratch database of its own on real PostgreSQL and Redis:
 *
 *   (a) an empty database, 10 agents, nobody waiting;
 *   (b) `--history` calls of history (10,000,000 by default, generated in SQL), `--agents` agents
 *       and `--waiting` callers waiting over `--hotlines` hotline numbers.
 *
 *   BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres BENCH_REDIS_URL=redis://127.0.0.1:6379 \
 *     npx tsx scripts/bench-scale.ts [--history 10000000] [--agents 1000] [--waiting 1000] [--hotlines 5] [--pairs 1000] [--rate 5]
 *
 * (b) is built as the hotline would get there: the agents and hotlines through the admin API; the
 * agents made busy by signed incoming calls they accept (screen, key 1), so each holds a claim
 * for a talk; then `--waiting` signed incoming calls that find every agent of their number busy
 * and wait. Only the history is written in SQL (generate_series, with the tables' secondary
 * indexes built after the rows).
 *
 * What is timed, in both: `--pairs` calls to a measured number, `--rate` a second (low enough
 * that the 10 free agents are rarely all ringing at once; a call that finds none is counted as
 * an error and not timed), each an
 * incoming webhook (the caller arrives and an agent is rung: <Dial>) then its Dial action (the
 * talk is over: DialCallStatus completed, bridged), which ends the call and frees the agent. The
 * measured number's group has 10 free agents; in (b) it also holds 490 of the busy agents (a group
 * has at most 500), whom each hunt passes over. Reported: p50 and p99 of each webhook, and the
 * CPU milliseconds per request of the server, PostgreSQL and Redis over the timed phase (from
 * /proc). Twilio's REST API (moves of waiting callers, texts) is a stub on loopback answering at
 * once. The scratch databases are dropped at the end; check `df -h` first (10,000,000 calls take
 * about 9 GB while the run lasts).
 */
import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { parseArgs } from 'node:util';
import { Client } from 'pg';
import { pgDb } from '../src/postgres/db';
import { migrate } from '../src/postgres/migrate';
import { freePort } from '../src/simulator/in-process-server';
import { percentile } from '../src/simulator/simulation';
import { ACCOUNT_SID, adminApi, signedWebhook, startChild, stopChild } from './bench-server';
import { periodicQueries, plansOf, statementsOf } from '../test/support/periodic-queries';
import { countCpu, pidsNamed, type CpuTimes } from './process-cpu';
import { createScratchDatabase, scratchRedisPrefix, type ScratchDatabase } from './scratch-database';

/** The number whose calls are timed, and the numbers whose callers wait. */
const MEASURED = '+864008000000';
const waitingNumber = (k: number) => `+86400800${String(k + 1).padStart(4, '0')}`;
/** Agents free for the timed calls, in both scenarios. */
const FREE_AGENTS = 10;
/** The most agents the admin API puts in one hotline group. */
const GROUP_MAX = 500;

interface Scenario {
  name: string;
  history: number;
  agents: number;
  waiting: number;
  hotlines: number;
}

/**
 * The plans PostgreSQL really picks for the periodic queries (test/support/periodic-queries.ts)
 * on this database, run (EXPLAIN ANALYZE, rolled back): the indexes used and the time taken.
 */
async function periodicPlans(url: string): Promise<string[]> {
  const db = pgDb(url, 1);
  try {
    const [call] = await db.query<{ id: string }>(`SELECT id FROM calls WHERE state = 'connected' LIMIT 1`);
    const rows = ['| periodic query | indexes used | whole-table scans | execution ms |', '|---|---|---|---|'];
    for (const q of periodicQueries({ now: () => new Date() }, call?.id ?? '00000000-0000-4000-8000-000000000001')) {
      const plans = (await plansOf(db, await statementsOf(db, q.run), '(ANALYZE)')).join('\n');
      const used = [...new Set([...plans.matchAll(/(?:Index (?:Only )?Scan using|Bitmap Index Scan on) (\w+)/g)].map((m) => m[1]))];
      const seq = [...new Set([...plans.matchAll(/Seq Scan on (\w+)/g)].map((m) => m[1]))];
      const ms = [...plans.matchAll(/Execution Time: ([\d.]+) ms/g)].reduce((a, m) => a + Number(m[1]), 0);
      rows.push(`| ${q.name} | ${used.join(', ')} | ${seq.join(', ') || '-'} | ${ms.toFixed(2)} |`);
    }
    return rows;
  } finally {
    await db.close();
  }
}

interface Timed {
  incoming: number[];
  dialAction: number[];
  cpu: Record<string, CpuTimes | undefined>;
  requests: number;
  errors: string[];
  plans?: string[];
}

/** Twilio's REST API as a stub on loopback: every request answered at once, as a success. */
async function restStub(): Promise<{ url: string; requests: () => number; close(): Promise<void> }> {
  let n = 0;
  const server = http.createServer((req, res) => {
    n++;
    req.resume();
    req.on('end', () => {
      const sid = (req.url ?? '').includes('/Messages') ? 'SM' + randomBytes(16).toString('hex') : 'CA' + randomBytes(16).toString('hex');
      res.writeHead(req.method === 'POST' && (req.url ?? '').endsWith('/Calls.json') ? 201 : 200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ sid, account_sid: ACCOUNT_SID, status: 'queued' }));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests: () => n,
    close: () => new Promise((r) => server.close(() => r())),
  };
}

/**
 * `n` calls of history (and one ring attempt each) over the last ~3 years, ended, mostly answered,
 * to five numbers, from a few million callers, answered by 1,000 former agents. Written with
 * triggers and foreign-key checks off (session_replication_role), the secondary indexes of the two
 * tables dropped first and built again after, as a restore would: the figures rollups are not
 * computed for it. Ids and CallSids increase with the row number, so the unique indexes fill in order.
 */
async function generateHistory(url: string, n: number, log: (s: string) => void): Promise<void> {
  // A connection of its own, without the server pool's 8-second limit on a query.
  const db = new Client({ connectionString: url });
  await db.connect();
  try {
    const tx = { query: async <T>(sql: string, params?: unknown[]) => (await db.query(sql, params)).rows as T[] };
    await db.query('BEGIN');
    const started = performance.now();
    await tx.query(`SET LOCAL session_replication_role = replica`);
    await tx.query(`SET LOCAL maintenance_work_mem = '512MB'`);
    const indexes = await tx.query<{ indexname: string; indexdef: string }>(
      `SELECT i.indexname, i.indexdef FROM pg_indexes i
        WHERE i.schemaname = 'public' AND i.tablename IN ('calls', 'ring_attempts')
          AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname)`,
    );
    for (const i of indexes) await tx.query(`DROP INDEX ${i.indexname}`);
    await tx.query(
      `INSERT INTO agents (id, name, phone, active, position, created_at, updated_at)
       SELECT ('00000000-0000-4000-a000-' || lpad(to_hex(g), 12, '0'))::uuid, 'Former ' || g, '+8613700' || lpad(g::text, 6, '0'), false, g, now() - interval '4 years', now()
         FROM generate_series(1, 1000) g`,
    );
    await tx.query(
      `INSERT INTO calls (id, call_sid, from_number, to_number, started_at, rotation_offset, state, outcome, missed_reason,
                          answered_by_agent_id, accepted_at, wait_seconds, within_answer_rule, ended_at, talk_seconds, ended_by, created_at)
       SELECT ('00000000-0000-4000-8000-' || lpad(to_hex(g), 12, '0'))::uuid,
              'CA' || lpad(to_hex(g), 32, '0'),
              '+86139' || lpad((g % 3000000)::text, 8, '0'),
              '+86400800' || lpad((g % 5 + 1)::text, 4, '0'),
              s, g, 'ended',
              CASE WHEN g % 10 < 8 THEN 'answered' WHEN g % 10 = 8 THEN 'missed' ELSE 'abandoned' END,
              CASE WHEN g % 10 = 8 THEN 'all-agents-tried' END,
              CASE WHEN g % 10 < 8 THEN ('00000000-0000-4000-a000-' || lpad(to_hex(g % 1000 + 1), 12, '0'))::uuid END,
              CASE WHEN g % 10 < 8 THEN s + interval '8 seconds' END,
              CASE WHEN g % 10 < 8 THEN 8 END,
              CASE WHEN g % 10 < 8 THEN true END,
              s + interval '3 minutes',
              CASE WHEN g % 10 < 8 THEN 172 END,
              'caller', s
         FROM generate_series(1, $1::int) g, LATERAL (SELECT now() - make_interval(secs => g * 10) AS s) t`,
      [n],
    );
    await tx.query(
      `INSERT INTO ring_attempts (id, call_id, seq, agent_id, endpoint, child_call_sid, offered_at, ringing_at, answered_at, accepted_at,
                                  ring_seconds, outcome, dial_call_status, finished_at)
       SELECT ('00000000-0000-4000-9000-' || lpad(to_hex(g), 12, '0'))::uuid,
              ('00000000-0000-4000-8000-' || lpad(to_hex(g), 12, '0'))::uuid, 0,
              ('00000000-0000-4000-a000-' || lpad(to_hex(g % 1000 + 1), 12, '0'))::uuid,
              '+8613700' || lpad((g % 1000 + 1)::text, 6, '0'),
              'CA' || lpad(to_hex(g), 31, '0') || 'f',
              s, s + interval '1 second', CASE WHEN g % 10 < 8 THEN s + interval '6 seconds' END, CASE WHEN g % 10 < 8 THEN s + interval '8 seconds' END,
              CASE WHEN g % 10 < 8 THEN 6 ELSE 15 END,
              CASE WHEN g % 10 < 8 THEN 'accepted' WHEN g % 10 = 8 THEN 'no-answer' ELSE 'caller-gone' END,
              CASE WHEN g % 10 < 8 THEN 'completed' WHEN g % 10 = 8 THEN 'no-answer' ELSE 'canceled' END,
              s + interval '3 minutes'
         FROM generate_series(1, $1::int) g, LATERAL (SELECT now() - make_interval(secs => g * 10) AS s) t`,
      [n],
    );
    log(`  ${n} calls and attempts written in ${((performance.now() - started) / 1000).toFixed(0)} s`);
    const indexed = performance.now();
    for (const i of indexes) await tx.query(i.indexdef);
    log(`  ${indexes.length} indexes built in ${((performance.now() - indexed) / 1000).toFixed(0)} s`);
    await db.query('COMMIT');
    const analyzed = performance.now();
    await db.query('ANALYZE calls');
    await db.query('ANALYZE ring_attempts');
    await db.query('ANALYZE agents');
    log(`  analyzed in ${((performance.now() - analyzed) / 1000).toFixed(0)} s`);
    const [size] = await tx.query<{ size: string }>('SELECT pg_size_pretty(pg_database_size(current_database())) AS size');
    log(`  database size ${size?.size}`);
  } finally {
    await db.end();
  }
}

/** The <Dial>'s action and the agent leg's screen URL in a TwiML answer, or null when it rings nobody. */
function dialOf(twiml: string): { action: string; screen: string } | null {
  const dial = /<Dial[^>]*\baction="([^"]+)"/.exec(twiml);
  const screen = /<Number[^>]*\burl="([^"]+)"/.exec(twiml);
  if (!dial || !screen) return null;
  const unescape = (s: string) => s.replace(/&amp;/g, '&');
  return { action: unescape(dial[1]!), screen: unescape(screen[1]!) };
}

const newCallSid = () => 'CA' + randomBytes(16).toString('hex');
let callers = 0;
const nextCaller = () => `+86135${String(callers++ % 1e8).padStart(8, '0')}`;

/** A caller rings `to`: the signed incoming webhook, and its answer. */
async function incoming(url: string, to: string, callSid = newCallSid()) {
  const res = await signedWebhook(`${url}/webhooks/voice/incoming`, { AccountSid: ACCOUNT_SID, CallSid: callSid, From: nextCaller(), To: to, CallStatus: 'ringing', Direction: 'inbound' });
  if (res.status !== 200 || !res.text.includes('<Response>')) throw new Error(`incoming: ${res.status} ${res.text.slice(0, 200)}`);
  return { callSid, twiml: res.text };
}

/** A call to `to` that an agent accepts (whisper, key 1): that agent is busy talking afterwards. */
async function acceptedCall(url: string, to: string): Promise<void> {
  const { twiml } = await incoming(url, to);
  const dial = dialOf(twiml);
  if (!dial) throw new Error(`no agent free for ${to}: ${twiml.slice(0, 200)}`);
  const childSid = newCallSid();
  const screen = await signedWebhook(dial.screen, { AccountSid: ACCOUNT_SID, CallSid: childSid });
  const press = /<Gather[^>]*\baction="([^"]+)"/.exec(screen.text);
  if (!press) throw new Error(`no whisper: ${screen.text.slice(0, 200)}`);
  const accepted = await signedWebhook(press[1]!.replace(/&amp;/g, '&'), { AccountSid: ACCOUNT_SID, CallSid: childSid, Digits: '1' });
  if (accepted.status !== 200) throw new Error(`accept: ${accepted.status}`);
}

/** Runs `each(i)` for i < n, `width` at a time. */
async function inParallel(n: number, width: number, each: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: Math.min(width, n) }, async () => {
    while (next < n) await each(next++);
  }));
}

/** Agents, hotlines, busy agents and waiting callers, through the API and signed webhooks. */
async function populate(url: string, s: Scenario, log: (s: string) => void): Promise<void> {
  const started = performance.now();
  const ids: string[] = new Array(s.agents + FREE_AGENTS);
  await inParallel(ids.length, 8, async (i) => {
    ids[i] = (await adminApi<{ id: string }>(url, 'POST', '/api/agents', { name: `Agent ${i}`, phone: `+86138${String(i).padStart(8, '0')}` })).id;
  });
  const free = ids.slice(0, FREE_AGENTS);
  const busy = ids.slice(FREE_AGENTS);
  await adminApi(url, 'POST', '/api/hotlines', { number: MEASURED, name: 'Measured', agentIds: [...free, ...busy.slice(0, GROUP_MAX - FREE_AGENTS)] });
  const groups = Array.from({ length: s.hotlines }, (_, k) => busy.filter((_, i) => i % s.hotlines === k));
  if (groups.some((g) => g.length > GROUP_MAX)) throw new Error(`at most ${GROUP_MAX} agents a hotline: more --hotlines`);
  for (const [k, group] of groups.entries()) await adminApi(url, 'POST', '/api/hotlines', { number: waitingNumber(k), name: `Hotline ${k + 1}`, agentIds: group });
  log(`  ${ids.length} agents, ${s.hotlines + 1} hotlines in ${((performance.now() - started) / 1000).toFixed(0)} s`);
  if (s.waiting === 0 && busy.length === 0) return;
  const talking = performance.now();
  // Every agent of the waiting numbers talking with a caller of theirs.
  await inParallel(s.hotlines, s.hotlines, async (k) => {
    for (let i = 0; i < groups[k]!.length; i++) await acceptedCall(url, waitingNumber(k));
  });
  log(`  ${busy.length} agents talking in ${((performance.now() - talking) / 1000).toFixed(0)} s`);
  const lined = performance.now();
  let rung = 0;
  await inParallel(s.waiting, 8, async (i) => {
    const { twiml } = await incoming(url, waitingNumber(i % s.hotlines));
    if (dialOf(twiml)) rung++;
  });
  if (rung > 0) throw new Error(`${rung} of the callers meant to wait were rung`);
  log(`  ${s.waiting} callers waiting in ${((performance.now() - lined) / 1000).toFixed(0)} s`);
}

/** `pairs` timed calls to the measured number at `rate` a second: incoming, then the Dial action of a talk that is over. */
async function timedCalls(url: string, serverPid: number, pairs: number, rate: number): Promise<Timed> {
  const out: Timed = { incoming: [], dialAction: [], cpu: {}, requests: 0, errors: [] };
  const pair = async (record: boolean) => {
    let t = performance.now();
    const { callSid, twiml } = await incoming(url, MEASURED);
    const inMs = performance.now() - t;
    const dial = dialOf(twiml);
    if (!dial) {
      out.errors.push('incoming rang nobody');
      return;
    }
    t = performance.now();
    const res = await signedWebhook(dial.action, {
      AccountSid: ACCOUNT_SID,
      CallSid: callSid,
      CallStatus: 'in-progress',
      DialCallStatus: 'completed',
      DialBridged: 'true',
      DialCallSid: newCallSid(),
      DialCallDuration: '60',
    });
    const actionMs = performance.now() - t;
    if (res.status !== 200 || !res.text.includes('<Response')) out.errors.push(`dial action ${res.status}`);
    if (record) {
      out.incoming.push(inMs);
      out.dialAction.push(actionMs);
    }
  };
  // Warm-up: the server's caches and prepared statements, PostgreSQL's buffers.
  await inParallel(100, 2, () => pair(false));
  out.errors.length = 0;
  const cpu = countCpu({ server: () => [serverPid], postgres: () => pidsNamed('postgres'), redis: () => pidsNamed('redis-server') });
  const t0 = performance.now();
  const running: Promise<void>[] = [];
  for (let i = 0; i < pairs; i++) {
    const wait = t0 + (i * 1000) / rate - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    running.push(pair(true).catch((err: unknown) => void out.errors.push(String(err))));
  }
  await Promise.all(running);
  out.cpu = cpu.stop();
  out.requests = pairs * 2;
  return out;
}

async function runScenario(s: Scenario, o: { base: string; redis: string; stub: string; pairs: number; rate: number; log: (s: string) => void }): Promise<Timed> {
  o.log(`(${s.name}) ${s.history} calls of history, ${s.agents + FREE_AGENTS} agents, ${s.waiting} waiting over ${s.hotlines} hotlines`);
  const scratch: ScratchDatabase = await createScratchDatabase(o.base, 'scale');
  const keys = scratchRedisPrefix(o.redis, 'scale', scratch.name);
  let child: ChildProcess | undefined;
  try {
    const db = pgDb(scratch.url, 1);
    await migrate(db);
    await db.close();
    if (s.history > 0) await generateHistory(scratch.url, s.history, o.log);
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    child = await startChild('server', port, {
      DATABASE_URL: scratch.url,
      REDIS_URL: o.redis,
      REDIS_KEY_PREFIX: keys.prefix,
      TWILIO_API_BASE_URL: o.stub,
      // The waiting callers keep waiting through the run; nobody is paused for the offers they let go.
      MAX_CALLER_WAIT_SECONDS: '1800',
      AUTO_PAUSE_AFTER: '50',
    });
    await populate(url, s, o.log);
    const timed = await timedCalls(url, child.pid!, o.pairs, o.rate);
    await stopChild(child);
    if (s.history > 0) timed.plans = await periodicPlans(scratch.url);
    return timed;
  } finally {
    if (child && child.exitCode === null) child.kill('SIGKILL');
    await new Promise((r) => setTimeout(r, 1000));
    await scratch.drop();
    await keys.cleanup();
  }
}

async function main() {
  const { values } = parseArgs({
    options: {
      history: { type: 'string', default: '10000000' },
      agents: { type: 'string', default: '1000' },
      waiting: { type: 'string', default: '1000' },
      hotlines: { type: 'string', default: '5' },
      pairs: { type: 'string', default: '1000' },
      rate: { type: 'string', default: '5' },
    },
    strict: true,
  });
  const base = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
  const redis = process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379';
  const log = (s: string) => process.stderr.write(`${new Date().toISOString().slice(11, 19)} ${s}\n`);
  const hotlines = Math.max(1, Number(values.hotlines));
  const agents = Number(values.agents);
  if (agents < hotlines) throw new Error('--agents must be at least --hotlines');
  const stub = await restStub();
  const o = { base, redis, stub: stub.url, pairs: Math.min(Number(values.pairs), 20_000), rate: Math.min(Number(values.rate), 200), log };
  try {
    // (a) first: (b)'s bulk write leaves PostgreSQL work to do (checkpoints, autovacuum) that would slow a run after it.
    const a = await runScenario({ name: 'a', history: 0, agents: 0, waiting: 0, hotlines: 0 }, o);
    const b = await runScenario(
      { name: 'b', history: Number(values.history), agents: agents - FREE_AGENTS, waiting: Number(values.waiting), hotlines },
      o,
    );
    const f = (v: number | null) => (v === null ? '-' : v.toFixed(1));
    const cpuMs = (t: Timed, k: string) => {
      const c = t.cpu[k];
      return c ? ((c.user + c.system) / t.requests).toFixed(3) : '-';
    };
    const all = (t: Timed) => (Object.values(t.cpu).reduce((s, c) => s + (c ? c.user + c.system : 0), 0) / t.requests).toFixed(3);
    const row = (name: string, t: Timed) =>
      `| ${name} | ${f(percentile(t.incoming, 50))} | ${f(percentile(t.incoming, 99))} | ${f(percentile(t.dialAction, 50))} | ${f(percentile(t.dialAction, 99))} | ${cpuMs(t, 'server')} | ${cpuMs(t, 'postgres')} | ${cpuMs(t, 'redis')} | ${all(t)} | ${t.errors.length ? `${t.errors.length} (${[...new Set(t.errors)].slice(0, 3).join('; ')})` : '0'} |`;
    const ratio = (x: number[], y: number[], p: number) => ((percentile(x, p) ?? NaN) / (percentile(y, p) ?? NaN)).toFixed(2);
    process.stdout.write(
      [
        `${o.pairs} timed calls each, ${o.rate} a second (an incoming webhook and its Dial action each); CPU ms per request over the timed phase:`,
        '',
        '| scenario | incoming p50 ms | incoming p99 ms | Dial action p50 ms | Dial action p99 ms | CPU server | CPU PostgreSQL | CPU Redis | CPU all | errors |',
        '|---|---|---|---|---|---|---|---|---|---|',
        row(`(a) empty, ${FREE_AGENTS} agents, no line`, a),
        row(`(b) ${values.history} calls, ${agents} agents, ${values.waiting} waiting over ${hotlines} hotlines`, b),
        `| (b) ÷ (a) | ${ratio(b.incoming, a.incoming, 50)}× | ${ratio(b.incoming, a.incoming, 99)}× | ${ratio(b.dialAction, a.dialAction, 50)}× | ${ratio(b.dialAction, a.dialAction, 99)}× | | | | ${(Number(all(b)) / Number(all(a))).toFixed(2)}× | |`,
        '',
        `Twilio REST stub requests: ${stub.requests()}`,
        ...(b.plans ? ['', `The periodic queries on (b), as PostgreSQL plans and runs them (EXPLAIN ANALYZE, rolled back):`, '', ...b.plans] : []),
      ].join('\n') + '\n',
    );
  } finally {
    await stub.close();
  }
}

main().catch((err) => {
  process.stderr.write(`bench-scale: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
