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
 * Every request is a new call (a fresh CallSid, signed as Twilio signs it). Bounded in count and
 * time; loopback only. A scratch database is created and dropped.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import http from 'node:http';
import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import express from 'express';
import twilio from 'twilio';
import { createLogger } from '../src/logger';
import { freePort, startInProcessServer } from '../src/simulator/in-process-server';
import { percentile } from '../src/simulator/simulation';
import { countCpu, pidsNamed, type CpuTimes } from './process-cpu';
import { createScratchDatabase, scratchRedisPrefix } from './scratch-database';

const AUTH_TOKEN = 'bench-auth-token-0123456789';
const ADMIN_TOKEN = 'bench-admin-token-0123456789';

/** Child mode: serve one target until killed. */
async function serve(kind: string, port: number) {
  if (kind === 'bare') {
    const app = express();
    app.use(express.urlencoded({ extended: false, limit: '64kb' }));
    const twiml = '<?xml version="1.0" encoding="UTF-8"?><Response><Dial answerOnBridge="true" timeout="10"><Number>+8613800000001</Number></Dial></Response>';
    // Answered as the server answers TwiML (webhooks/twiml-reply.ts): no ETag, no freshness check.
    app.post('/webhooks/voice/incoming', (_req, res) => {
      res.statusCode = 200;
      res.setHeader('Content-Type', 'text/xml; charset=utf-8');
      res.setHeader('Content-Length', Buffer.byteLength(twiml));
      res.end(twiml);
    });
    app.listen(port, '127.0.0.1', () => process.stdout.write('ready\n'));
    return;
  }
  const server = await startInProcessServer(
    { DATABASE_URL: process.env.DATABASE_URL!, REDIS_URL: process.env.REDIS_URL!, REDIS_KEY_PREFIX: process.env.REDIS_KEY_PREFIX!, TWILIO_AUTH_TOKEN: AUTH_TOKEN, ADMIN_TOKEN, LOG_LEVEL: 'error', PORT: String(port) },
    { logger: createLogger('error', true) },
  );
  process.stdout.write(`ready ${server.url}\n`);
  process.on('SIGTERM', () => void server.close().then(() => process.exit(0)));
}

function startChild(kind: string, port: number, env: Record<string, string>): Promise<ChildProcess> {
  // BENCH_CPU_PROF=<dir>: each target writes a V8 CPU profile there when it exits.
  const profile = process.env.BENCH_CPU_PROF ? ['--cpu-prof', '--cpu-prof-dir', process.env.BENCH_CPU_PROF] : [];
  const child = spawn(process.execPath, [...profile, '--import', 'tsx', __filename, '--serve', kind, '--port', String(port)], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    child.stdout!.on('data', (d: Buffer) => {
      if (d.toString().includes('ready')) resolve(child);
    });
    child.once('exit', (code) => reject(new Error(`${kind} server exited ${code}`)));
  });
}

interface Answer {
  status: number;
  text: string;
}

/**
 * Connections kept open between requests, as a load balancer keeps them to its backends; as many
 * as there are requests in flight (as with fetch), so none waits in the generator.
 */
const keepAlive = new http.Agent({ keepAlive: true, maxSockets: Infinity });

function postWithHttp(url: string, headers: Record<string, string>, body: string): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method: 'POST', agent: keepAlive, headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString() }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

async function postWithFetch(url: string, headers: Record<string, string>, body: string): Promise<Answer> {
  const res = await fetch(url, { method: 'POST', headers, body });
  return { status: res.status, text: await res.text() };
}

async function main() {
  const { values } = parseArgs({
    options: {
      serve: { type: 'string' },
      port: { type: 'string' },
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
  if (values.serve) return serve(values.serve, Number(values.port));
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
      const child = await startChild(kind, port, { DATABASE_URL: scratch.url, REDIS_URL: redis, REDIS_KEY_PREFIX: keys.prefix });
      children.push(child);
      if (kind === 'incoming') {
        for (let i = 1; i <= Number(values.agents); i++) {
          const res = await fetch(`${url}/api/agents`, { method: 'POST', headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' }, body: JSON.stringify({ name: `Agent ${i}`, phone: `+861380000${String(i).padStart(4, '0')}` }) });
          if (res.status !== 201) throw new Error(`add agent: ${res.status}`);
        }
      }
      let n = 0;
      let errors = 0;
      // What the errors were (a status, or the connection's error code), for the report.
      const reasons = new Set<string>();
      const one = async (): Promise<number> => {
        const target = `${url}/webhooks/voice/incoming`;
        const params = { AccountSid: 'AC00000000000000000000000000000000', CallSid: 'CA' + randomBytes(16).toString('hex'), From: `+86139${String(n++ % 1e8).padStart(8, '0')}`, To: '+864008001234', CallStatus: 'ringing', Direction: 'inbound' };
        const started = performance.now();
        try {
          const headers = { 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': twilio.getExpectedTwilioSignature(AUTH_TOKEN, target, params) };
          const res = await post(target, headers, new URLSearchParams(params).toString());
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
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      if ((await Promise.race([exited, new Promise((r) => setTimeout(() => r('late'), 30_000))])) === 'late') child.kill('SIGKILL');
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
