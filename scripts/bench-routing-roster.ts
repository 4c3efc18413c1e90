/**
 * A routing decision (the incoming-call webhook: screen the caller, record the call, take the
 * rotation step, claim the first free agent of the hunt, record the offer) with 10 agents on the
 * roster against 1,000, in the same run, on real PostgreSQL and Redis:
 *
 *   BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres BENCH_REDIS_URL=redis://127.0.0.1:6379 \
 *     npx tsx scripts/bench-routing-roster.ts [--small 10] [--large 1000] [--calls 1000] [--port 3201]
 *
 * Two servers (scripts/bench-webhook.ts --serve incoming), each in its own process with its own
 * scratch database and Redis prefix, one with each roster. Calls go to them in turn, one at a
 * time; after each routing decision the caller hangs up (its `completed` status, not timed), so
 * the agent is free again and every call finds a free agent: the waiting line plays no part.
 * 100 warm-up calls each first. Bounded in count; loopback only; scratch data dropped.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import twilio from 'twilio';
import { percentile } from '../src/simulator/simulation';
import { createScratchDatabase, randomSuffix, scratchRedisPrefix, type ScratchDatabase, type ScratchRedisPrefix } from './scratch-database';

const AUTH_TOKEN = 'bench-auth-token-0123456789';
const ADMIN_TOKEN = 'bench-admin-token-0123456789';
const WARM_UP = 100;

interface Target {
  agents: number;
  url: string;
  child: ChildProcess;
  ms: number[];
  notRung: number;
}

function startServer(port: number, env: Record<string, string>): Promise<ChildProcess> {
  const script = join(__dirname, 'bench-webhook.ts');
  const child = spawn(process.execPath, ['--import', 'tsx', script, '--serve', 'incoming', '--port', String(port)], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    child.stdout!.on('data', (d: Buffer) => {
      if (d.toString().includes('ready')) resolve(child);
    });
    child.once('exit', (code) => reject(new Error(`server exited ${code}`)));
  });
}

async function post(url: string, params: Record<string, string>): Promise<string> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': twilio.getExpectedTwilioSignature(AUTH_TOKEN, url, params) },
    body: new URLSearchParams(params).toString(),
  });
  const text = await res.text();
  if (res.status >= 300) throw new Error(`${url}: ${res.status}`);
  return text;
}

let caller = 0;
/** One call: the routing decision (timed), then the caller hangs up (not timed). */
async function oneCall(t: Target, timed: boolean): Promise<void> {
  const callSid = 'CA' + randomBytes(16).toString('hex');
  const base = { AccountSid: 'AC00000000000000000000000000000000', CallSid: callSid, To: '+864008001234' };
  const started = performance.now();
  const xml = await post(`${t.url}/webhooks/voice/incoming`, { ...base, From: `+86139${String(caller++ % 1e8).padStart(8, '0')}`, CallStatus: 'ringing', Direction: 'inbound' });
  const ms = performance.now() - started;
  if (!xml.includes('attempt=')) t.notRung++;
  if (timed) t.ms.push(ms);
  await post(`${t.url}/webhooks/voice/status`, { ...base, CallStatus: 'completed', SequenceNumber: '1', Timestamp: new Date().toUTCString() });
}

async function main() {
  const { values } = parseArgs({
    options: {
      small: { type: 'string', default: '10' },
      large: { type: 'string', default: '1000' },
      calls: { type: 'string', default: '1000' },
      port: { type: 'string', default: '3201' },
    },
    strict: true,
  });
  const rosters = [Math.min(Number(values.small), 5000), Math.min(Number(values.large), 5000)];
  const calls = Math.min(Number(values.calls), 20000);
  const base = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
  const redis = process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379';
  // threering_bench_<run>_0 and _1, each with the key prefix threering-bench:<its name>:
  const run = randomSuffix();
  const scratch: { db: ScratchDatabase; keys: ScratchRedisPrefix }[] = [];
  const targets: Target[] = [];
  try {
    for (const [i, agents] of rosters.entries()) {
      const db = await createScratchDatabase(base, 'bench', `${run}_${i}`);
      const keys = scratchRedisPrefix(redis, 'bench', db.name);
      scratch.push({ db, keys });
      const port = Number(values.port) + i;
      const child = await startServer(port, { DATABASE_URL: db.url, REDIS_URL: redis, REDIS_KEY_PREFIX: keys.prefix });
      const t: Target = { agents, url: `http://127.0.0.1:${port}`, child, ms: [], notRung: 0 };
      targets.push(t);
      for (let a = 1; a <= agents; a++) {
        const res = await fetch(`${t.url}/api/agents`, { method: 'POST', headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' }, body: JSON.stringify({ name: `Agent ${a}`, phone: `+861380000${String(a).padStart(4, '0')}` }) });
        if (res.status !== 201) throw new Error(`add agent: ${res.status}`);
      }
    }
    for (let i = 0; i < WARM_UP; i++) for (const t of targets) await oneCall(t, false);
    for (const t of targets) t.notRung = 0;
    // In turn, so that whatever else loads the machine weighs on both rosters alike.
    for (let i = 0; i < calls; i++) for (const t of targets) await oneCall(t, true);

    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    const row = (t: Target) => `| ${t.agents} agents | ${t.ms.length} | ${percentile(t.ms, 50)!.toFixed(2)} | ${mean(t.ms).toFixed(2)} | ${percentile(t.ms, 90)!.toFixed(2)} | ${percentile(t.ms, 99)!.toFixed(2)} | ${t.notRung} |`;
    const [small, large] = targets as [Target, Target];
    process.stdout.write(
      [
        '| roster | calls | p50 ms | mean ms | p90 ms | p99 ms | calls not rung |',
        '|---|---|---|---|---|---|---|',
        row(small),
        row(large),
        `| ratio ${large.agents} ÷ ${small.agents} | | ${(percentile(large.ms, 50)! / percentile(small.ms, 50)!).toFixed(2)}× | ${(mean(large.ms) / mean(small.ms)).toFixed(2)}× | ${(percentile(large.ms, 90)! / percentile(small.ms, 90)!).toFixed(2)}× | ${(percentile(large.ms, 99)! / percentile(small.ms, 99)!).toFixed(2)}× | |`,
      ].join('\n') + '\n',
    );
  } finally {
    for (const t of targets) if (t.child.exitCode === null) t.child.kill('SIGTERM');
    await new Promise((r) => setTimeout(r, 1000));
    for (const { db, keys } of scratch) {
      await db.drop();
      await keys.cleanup();
    }
  }
}

main().catch((err) => {
  process.stderr.write(`bench-routing-roster: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
