/**
 * What a caller gets while Redis is down: the incoming-call webhook timed with Redis up, stopped
 * (the connection refused) and hung (busy in DEBUG SLEEP, so commands time out), on real
 * PostgreSQL and a private redis-server on port 6393 (started and stopped here):
 *
 *   BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres npx tsx scripts/bench-redis-outage.ts [--calls 30] [--plain-redis]
 *
 * `--plain-redis` runs the same with Redis alone and no fallback, as the reference.
 * Each request is a new call (a fresh CallSid, signed as Twilio signs it), one at a time, against
 * one server in this process with 100 agents; it prints per phase p50, p99 and max, and how many
 * answers rang an agent (a <Dial>). A scratch database is created and dropped.
 */
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import twilio from 'twilio';
import { createLogger } from '../src/logger';
import { RedisCoordinator } from '../src/redis/redis-coordinator';
import { startInProcessServer } from '../src/simulator/in-process-server';
import { percentile } from '../src/simulator/simulation';
import { createScratchDatabase } from './scratch-database';

const AUTH_TOKEN = 'bench-auth-token-0123456789';
const ADMIN_TOKEN = 'bench-admin-token-0123456789';
const REDIS_PORT = 6393;
const AGENTS = 100;

const cli = (...args: string[]) => spawnSync('redis-cli', ['-p', String(REDIS_PORT), ...args]).stdout?.toString().trim();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until(ok: () => boolean | Promise<boolean>, ms = 20_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await ok())) {
    if (Date.now() > end) throw new Error('timed out');
    await sleep(100);
  }
}

async function main() {
  const { values } = parseArgs({ options: { calls: { type: 'string', default: '30' }, 'plain-redis': { type: 'boolean', default: false } }, strict: true });
  const calls = Math.min(Number(values.calls), AGENTS / 3);
  const base = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
  const scratch = await createScratchDatabase(base, 'bench');
  const { name } = scratch;
  if (cli('ping') === 'PONG') cli('shutdown', 'nosave');
  execFileSync('redis-server', ['--port', String(REDIS_PORT), '--save', '', '--appendonly', 'no', '--daemonize', 'yes', '--enable-debug-command', 'yes']);
  await until(() => cli('ping') === 'PONG');
  const server = await startInProcessServer(
    { DATABASE_URL: scratch.url, REDIS_URL: `redis://127.0.0.1:${REDIS_PORT}`, REDIS_KEY_PREFIX: `bench-outage:${name}:`, TWILIO_AUTH_TOKEN: AUTH_TOKEN, ADMIN_TOKEN, LOG_LEVEL: 'error' },
    {
      logger: createLogger('error', true),
      // The reference: Redis alone, as before the fallback (ioredis's offline queue and retries).
      ...(values['plain-redis'] ? { coordinator: new RedisCoordinator(`redis://127.0.0.1:${REDIS_PORT}`, `bench-outage:${name}:`) } : {}),
    },
  );
  const mode = async () => ((await (await fetch(`${server.url}/readyz`)).json()) as { coordination: string }).coordination;
  const rows: string[] = [];
  try {
    for (let i = 1; i <= AGENTS; i++) {
      await fetch(`${server.url}/api/agents`, {
        method: 'POST',
        headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' },
        body: JSON.stringify({ name: `Agent ${i}`, phone: `+861380000${String(i).padStart(4, '0')}` }),
      });
    }
    const phase = async (label: string) => {
      const times: number[] = [];
      let rang = 0;
      let failed = 0;
      for (let i = 0; i < calls; i++) {
        const target = `${server.url}/webhooks/voice/incoming`;
        const params = { CallSid: 'CA' + randomBytes(16).toString('hex'), From: `+86139${String(i).padStart(8, '0')}`, To: '+864008001234', CallStatus: 'ringing' };
        const started = performance.now();
        const res = await fetch(target, {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': twilio.getExpectedTwilioSignature(AUTH_TOKEN, target, params) },
          body: new URLSearchParams(params).toString(),
        });
        const body = await res.text();
        times.push(performance.now() - started);
        if (res.status !== 200) failed++;
        else if (body.includes('<Dial')) rang++;
      }
      rows.push(`| ${label} | ${calls} | ${(percentile(times, 50) ?? 0).toFixed(1)} | ${(percentile(times, 99) ?? 0).toFixed(1)} | ${Math.max(...times).toFixed(1)} | ${rang} | ${failed} | ${await mode()} |`);
    };
    await phase('Redis up');
    cli('shutdown', 'nosave');
    await phase('Redis stopped');
    execFileSync('redis-server', ['--port', String(REDIS_PORT), '--save', '', '--appendonly', 'no', '--daemonize', 'yes', '--enable-debug-command', 'yes']);
    await until(async () => (await mode()) === 'redis');
    const hang = spawn('redis-cli', ['-p', String(REDIS_PORT), 'debug', 'sleep', '30'], { stdio: 'ignore' });
    await sleep(200);
    await phase('Redis hung (DEBUG SLEEP)');
    hang.kill();
    console.log('| Redis | incoming webhooks | p50 ms | p99 ms | max ms | rang an agent | non-200 | mode after |');
    console.log('|---|---|---|---|---|---|---|---|');
    for (const r of rows) console.log(r);
  } finally {
    await server.close();
    cli('shutdown', 'nosave');
    await scratch.drop();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
