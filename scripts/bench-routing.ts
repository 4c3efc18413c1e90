/**
 * Load benchmark of the call-routing webhooks. Starts the app on a loopback port (embedded
 * PGlite, or DATABASE_URL/REDIS_URL when set), adds agents, then plays CALLS calls, CONCURRENCY
 * at a time, each through the whole signed webhook sequence Twilio would send:
 * incoming -> leg status x3 -> screen -> screen-result(1) -> leg completed -> dial-result -> status.
 * Prints latency percentiles per webhook and calls per second. Bounded: it stops by itself.
 *
 *   npm run bench -- [CALLS=200] [CONCURRENCY=10] [AGENTS=20]
 */
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import twilio from 'twilio';
import { createApp } from '../src/app';
import { loadConfig } from '../src/config';
import { buildContainer } from '../src/container';
import { installFeatures } from '../src/features';
import { createLogger } from '../src/logger';
import { pgliteDb } from '../src/postgres/db';

const arg = (name: string, fallback: number) => Number(process.argv.find((a) => a.startsWith(`${name}=`))?.split('=')[1] ?? fallback);
const CALLS = arg('CALLS', 200);
const CONCURRENCY = arg('CONCURRENCY', 10);
const AGENTS = arg('AGENTS', 20);
const TOKEN = 'bench-auth-token-0123456789';
const sid = () => 'CA' + randomBytes(16).toString('hex');

async function main() {
  // Listen first: signatures cover PUBLIC_BASE_URL, which must name the port this run got.
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const config = loadConfig({ ...process.env, NODE_ENV: 'test', TWILIO_AUTH_TOKEN: TOKEN, PUBLIC_BASE_URL: base, LOG_LEVEL: 'error' });
  const db = config.DATABASE_URL ? undefined : await pgliteDb();
  const container = await buildContainer(config, { logger: createLogger('error', true), db });
  installFeatures(container);
  server.on('request', createApp(container));

  const prefix = String(1000 + Math.floor(Math.random() * 9000));
  for (let i = 0; i < AGENTS; i++) await container.agents.create({ name: `bench ${i}`, phone: `+86138${prefix}${String(i).padStart(4, '0')}` });

  const timings = new Map<string, number[]>();
  const post = async (url: string, params: Record<string, string>) => {
    const started = performance.now();
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded', 'X-Twilio-Signature': twilio.getExpectedTwilioSignature(TOKEN, url, params) },
      body: new URLSearchParams(params),
    });
    const text = await res.text();
    const name = new URL(url).pathname.split('/').pop()!;
    (timings.get(name) ?? timings.set(name, []).get(name)!).push(performance.now() - started);
    if (res.status >= 300) throw new Error(`${name} ${res.status} ${text}`);
    return text;
  };

  let answered = 0;
  const oneCall = async () => {
    const callSid = sid();
    const child = sid();
    const xml = await post(`${base}/webhooks/voice/incoming`, { CallSid: callSid, From: '+8613911112222', To: '+864008001234' });
    const attempt = /attempt=([0-9a-f-]{36})/.exec(xml)?.[1];
    if (!attempt) return; // every agent busy: missed, still answered with TwiML
    const at = new Date().toUTCString();
    for (const [i, status] of ['initiated', 'ringing', 'in-progress'].entries()) {
      await post(`${base}/webhooks/voice/leg-status?attempt=${attempt}`, { CallSid: child, CallStatus: status, SequenceNumber: String(i), Timestamp: at });
    }
    await post(`${base}/webhooks/voice/screen?attempt=${attempt}`, { CallSid: child, ParentCallSid: callSid });
    await post(`${base}/webhooks/voice/screen-result?attempt=${attempt}`, { CallSid: child, Digits: '1' });
    await post(`${base}/webhooks/voice/leg-status?attempt=${attempt}`, { CallSid: child, CallStatus: 'completed', SequenceNumber: '3', Timestamp: at, CallDuration: '30' });
    await post(`${base}/webhooks/voice/dial-result?attempt=${attempt}`, { CallSid: callSid, CallStatus: 'completed', DialCallStatus: 'completed', DialBridged: 'true' });
    await post(`${base}/webhooks/voice/status`, { CallSid: callSid, CallStatus: 'completed' });
    answered++;
  };

  const started = performance.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < CALLS) {
        next++;
        await oneCall();
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;

  const pct = (xs: number[], p: number) => xs[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))]!;
  process.stdout.write(`database=${container.db.kind} coordination=${config.REDIS_URL ? 'redis' : 'in-process'} calls=${CALLS} concurrency=${CONCURRENCY} agents=${AGENTS}\n`);
  process.stdout.write(`answered=${answered} elapsed=${seconds.toFixed(2)}s calls/s=${(CALLS / seconds).toFixed(1)}\n`);
  process.stdout.write('webhook           n      p50 ms  p95 ms  p99 ms  max ms\n');
  for (const [name, xs] of timings) {
    xs.sort((a, b) => a - b);
    process.stdout.write(`${name.padEnd(16)} ${String(xs.length).padStart(5)}  ${[50, 95, 99].map((p) => pct(xs, p).toFixed(1).padStart(6)).join('  ')}  ${xs.at(-1)!.toFixed(1).padStart(6)}\n`);
  }
  server.close();
  await container.close();
  if (db) await db.close();
}

main().catch((err) => {
  process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
