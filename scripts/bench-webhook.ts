/**
 * The incoming-call webhook against a bare Express route answering a constant TwiML, in the same
 * run, each server in its own process on 127.0.0.1, on real PostgreSQL and Redis:
 *
 *   BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres BENCH_REDIS_URL=redis://127.0.0.1:6379 \
 *     npx tsx scripts/bench-webhook.ts [--agents 50] [--seconds 10] [--rate 300] [--concurrency 16] [--only] [--port-base 3203] [--client http|fetch]
 *
 * For each target (the bare route first): 200 warm-up requests; throughput with `concurrency` requests in flight for
 * `seconds`/2, with the CPU time each process spent meanwhile (the server, PostgreSQL, Redis and
 * this load generator, from /proc, per request); then a fixed `rate` of requests a second for
 * `seconds`, timing each (p50, p99).
 * The ratio of the two is reported for information: issue 22 retired the 0.5× target (the
 * measurement of why is in docs/PERFORMANCE.md); scripts/bench-scale.ts has the target now.
 * Every request is a new call (a fresh CallSid, signed as Twilio signs it). Bounded in count and
 * time; loopback only. A scratch database is created and dropped.
 */
import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import { freePort } from '../src/simulator/in-process-server';
import { percentile } from '../src/simulator/simulation';
import { ACCOUNT_SID, adminApi, postWithFetch, postWithHttp, signedWebhook, startChild, stopChild } from './bench-server';
import { countCpu, pidsNamed, type CpuTimes } from './process-cpu';
import { createScratchDatabase, scratchRedisPrefix } from './scratch-database';

async function main() {
  const { values } = parseArgs({
    options: {
      agents: { type: 'string', default: '50' },
      seconds: { type: 'string', default: '10' },
      rate: { type: 'string', default: '300' },
      concurrency: { type: 'string', default: '16' },
      // Only the incoming webhook, without the bare route.
      only: { type: 'boolean', default: false },
      // The first of the ports the targets listen on (one each); a free port when not given.
      'port-base': { type: 'string' },
      // The load generator: node:http with keep-alive (light), or fetch (undici, about three times its CPU a request).
      client: { type: 'string', default: 'http' },
    },
    strict: true,
  });
  const seconds = Math.min(Number(values.seconds), 60);
  const rate = Math.min(Number(values.rate), 2000);
  const concurrency = Math.min(Number(values.concurrency), 64);
  if (values.client !== 'http' && values.client !== 'fetch') throw new Error('--client is http or fetch');
  const post = values.client === 'fetch' ? postWithFetch : postWithHttp;
  const base = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
  const redis = process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379';
  const scratch = await createScratchDatabase(base, 'bench');
  // The run's claims, line and counter, under its own prefix.
  const keys = scratchRedisPrefix(redis, 'bench', scratch.name);
  const children: ChildProcess[] = [];
  const rows: string[] = [];
  try {
    const results: Record<string, { rps: number; p50: number; p99: number; errors: string }> = {};
    // Milliseconds of CPU per request in the throughput phase, by process group (undefined where /proc shows none).
    const cpuPerRequest: Record<string, Record<string, CpuTimes | undefined>> = {};
    // The bare route first, on a quiet machine: after the incoming run, PostgreSQL still has work
    // of its own to do for the rows just written (WAL, autovacuum), which would slow a bare run
    // that came after it and flatter the ratio.
    for (const [i, kind] of (values.only ? ['incoming'] : ['bare', 'incoming']).entries()) {
      const port = values['port-base'] ? Number(values['port-base']) + i : await freePort();
      const url = `http://127.0.0.1:${port}`;
      const child = await startChild(kind === 'bare' ? 'bare' : 'server', port, { DATABASE_URL: scratch.url, REDIS_URL: redis, REDIS_KEY_PREFIX: keys.prefix });
      children.push(child);
      if (kind === 'incoming') {
        for (let i = 1; i <= Number(values.agents); i++) await adminApi(url, 'POST', '/api/agents', { name: `Agent ${i}`, phone: `+861380000${String(i).padStart(4, '0')}` });
      }
      let n = 0;
      let errors = 0;
      // What the errors were (a status, or the connection's error code), for the report.
      const reasons = new Set<string>();
      const one = async (): Promise<number> => {
        const target = `${url}/webhooks/voice/incoming`;
        const params = { AccountSid: ACCOUNT_SID, CallSid: 'CA' + randomBytes(16).toString('hex'), From: `+86139${String(n++ % 1e8).padStart(8, '0')}`, To: '+864008001234', CallStatus: 'ringing', Direction: 'inbound' };
        const started = performance.now();
        try {
          const res = await signedWebhook(target, params, post);
          if (res.status !== 200 || !res.text.includes('<Response>')) {
            errors++;
            reasons.add(`status ${res.status}`);
          }
        } catch (err) {
          // Refused or reset under overload: an error, timed like any other answer.
          errors++;
          reasons.add((err as { code?: string }).code ?? String(err));
        }
        return performance.now() - started;
      };
      for (let i = 0; i < 200; i++) await one();
      // Throughput: `concurrency` requests always in flight; each process's CPU time meanwhile.
      const cpu = countCpu({ server: () => [child.pid!], postgres: () => pidsNamed('postgres'), redis: () => pidsNamed('redis-server'), client: () => [process.pid] });
      const until = performance.now() + (seconds / 2) * 1000;
      let done = 0;
      await Promise.all(
        Array.from({ length: concurrency }, async () => {
          while (performance.now() < until) {
            await one();
            done++;
          }
        }),
      );
      const rps = done / (seconds / 2);
      const spent = cpu.stop();
      cpuPerRequest[kind] = Object.fromEntries(Object.entries(spent).map(([k, t]) => [k, t && { user: t.user / done, system: t.system / done }]));
      // Latency at a fixed rate.
      const latencies: Promise<number>[] = [];
      const total = rate * seconds;
      const t0 = performance.now();
      for (let i = 0; i < total; i++) {
        const due = t0 + (i * 1000) / rate;
        const wait = due - performance.now();
        if (wait > 0) await new Promise((r) => setTimeout(r, wait));
        latencies.push(one());
      }
      const ms = await Promise.all(latencies);
      results[kind] = { rps, p50: percentile(ms, 50)!, p99: percentile(ms, 99)!, errors: errors ? `${errors} (${[...reasons].join(', ')})` : '0' };
      // The next target runs alone: this server drains (its waiting line, its sweeps) before it exits.
      await stopChild(child);
    }
    const inc = results.incoming!;
    const bare = results.bare ?? { rps: NaN, p50: NaN, p99: NaN, errors: '0' };
    rows.push(
      '| target | requests/s (' + concurrency + ' in flight) | p50 ms at ' + rate + '/s | p99 ms at ' + rate + '/s | errors |',
      '|---|---|---|---|---|',
      `| POST /webhooks/voice/incoming (${values.agents} agents) | ${inc.rps.toFixed(0)} | ${inc.p50.toFixed(1)} | ${inc.p99.toFixed(1)} | ${inc.errors} |`,
      `| bare Express, constant TwiML | ${bare.rps.toFixed(0)} | ${bare.p50.toFixed(1)} | ${bare.p99.toFixed(1)} | ${bare.errors} |`,
      `| ratio incoming ÷ bare | ${(inc.rps / bare.rps).toFixed(2)}× | | | |`,
    );
    const ms = (t: CpuTimes | undefined) => (t ? `${(t.user + t.system).toFixed(3)} (${t.system.toFixed(3)})` : '-');
    const total = (c: Record<string, CpuTimes | undefined>) => Object.values(c).reduce((a, t) => a + (t ? t.user + t.system : 0), 0).toFixed(3);
    const cpuRows = Object.entries(cpuPerRequest).map(([kind, c]) => `| ${kind} | ${ms(c.server)} | ${ms(c.postgres)} | ${ms(c.redis)} | ${ms(c.client)} | ${total(c)} |`);
    // Without /proc (not Linux) nothing was read: no table.
    if (Object.values(cpuPerRequest).some((c) => c.client))
      rows.push(
        '',
        'CPU ms per request in the throughput phase, user + system (system alone in brackets), from /proc ("-": no such process here; processes that exited meanwhile are not counted):',
        '| target | server | PostgreSQL | Redis | load generator | all |',
        '|---|---|---|---|---|---|',
        ...cpuRows,
      );
    process.stdout.write(rows.join('\n') + '\n');
  } finally {
    for (const c of children) if (c.exitCode === null) c.kill('SIGTERM');
    await new Promise((r) => setTimeout(r, 1000));
    await scratch.drop();
    await keys.cleanup();
  }
}

main().catch((err) => {
  process.stderr.write(`bench-webhook: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
