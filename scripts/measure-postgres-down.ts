/**
 * PostgreSQL stopped under the hotline: starts a private PostgreSQL cluster (initdb + pg_ctl as
 * the postgres user, PG_PORT, default 5442), the server on it, and one agent; stops the
 * database; plays CALLS calls through the signed webhooks (incoming, ringing, the agent rings
 * out, the duty number, the caller hangs up); starts the database again and
 * replays the spool. Prints how fast the incoming webhook answered while the database was down,
 * how many callers were rung, and how many calls and callbacks are on record afterwards.
 *
 *   npx tsx scripts/measure-postgres-down.ts [CALLS=20]     (PG_BIN: PostgreSQL's bin folder)
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chownSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import twilio from 'twilio';
import { createApp } from '../src/app';
import { loadConfig } from '../src/config';
import { buildContainer } from '../src/container';
import { installFeatures } from '../src/features';
import { createLogger } from '../src/logger';
import { scratchRedisPrefix } from './scratch-database';

const CALLS = Number(process.argv.find((a) => a.startsWith('CALLS='))?.split('=')[1] ?? 20);
const PG_BIN = process.env.PG_BIN ?? '/usr/lib/postgresql/15/bin';
const PG_PORT = Number(process.env.PG_PORT ?? 5442);
const TOKEN = 'measure-auth-token-0123456789';
const HOTLINE = '+864008001234';
const sid = () => 'CA' + randomBytes(16).toString('hex');
const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))]!;

const dir = mkdtempSync(join(tmpdir(), 'threering-pgdown-'));
const data = join(dir, 'data');
function asPostgres(bin: string, args: string[]): void {
  const root = process.getuid?.() === 0;
  const [cmd, argv] = root ? ['runuser', ['-u', 'postgres', '--', join(PG_BIN, bin), ...args]] : [join(PG_BIN, bin), args];
  execFileSync(cmd, argv, { stdio: 'pipe', timeout: 60_000 });
}
const startPostgres = () => asPostgres('pg_ctl', ['-D', data, '-o', `-p ${PG_PORT} -k ${dir} -c listen_addresses=127.0.0.1`, '-l', join(dir, 'log'), '-w', 'start']);
const stopPostgres = (mode: string) => asPostgres('pg_ctl', ['-D', data, '-m', mode, '-w', 'stop']);

async function main() {
  // The run's Redis keys, under a prefix of their own, deleted at the end.
  const keys = process.env.REDIS_URL ? scratchRedisPrefix(process.env.REDIS_URL, 'measure') : undefined;
  if (process.getuid?.() === 0) chownSync(dir, Number(execFileSync('id', ['-u', 'postgres']).toString().trim()), 0);
  asPostgres('initdb', ['-D', data, '-A', 'trust', '-U', 'postgres', '--no-sync']);
  startPostgres();
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const config = loadConfig({
    NODE_ENV: 'test',
    TWILIO_AUTH_TOKEN: TOKEN,
    PUBLIC_BASE_URL: base,
    LOG_LEVEL: 'error',
    DATABASE_URL: `postgres://postgres@127.0.0.1:${PG_PORT}/postgres`,
    FALLBACK_NUMBER: '+861012345678',
    // Texts to callback owners go nowhere: this run never reaches Twilio.
    TWILIO_API_BASE_URL: 'http://127.0.0.1:9',
    SPOOL_DIR: join(dir, 'spool'),
    ...(keys ? { REDIS_URL: process.env.REDIS_URL, REDIS_KEY_PREFIX: keys.prefix } : {}),
  });
  const c = await buildContainer(config, { logger: createLogger('error', true) });
  installFeatures(c);
  server.on('request', createApp(c));
  // One agent: each call rings them, then (rung out) the duty number, and ends missed.
  await c.agents.create({ name: 'agent', phone: '+8613800000001' });
  await c.lastKnownRoster.refresh(HOTLINE, c.clock.now());

  const post = async (path: string, params: Record<string, string>) => {
    const url = `${base}/webhooks/voice/${path}`;
    const started = performance.now();
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': twilio.getExpectedTwilioSignature(TOKEN, url, params) },
      body: new URLSearchParams(params),
    });
    return { status: res.status, text: await res.text(), ms: performance.now() - started };
  };

  stopPostgres('fast');
  const incomingMs: number[] = [];
  let rungAgent = 0;
  let bad = 0;
  const sids: string[] = [];
  for (let i = 0; i < CALLS; i++) {
    const callSid = sid();
    sids.push(callSid);
    const first = await post('incoming', { CallSid: callSid, From: `+86139${String(10000000 + i)}`, To: HOTLINE });
    incomingMs.push(first.ms);
    const attempt = /dial-result\?attempt=([0-9a-f-]{36})/.exec(first.text)?.[1];
    if (first.status !== 200 || !first.text.includes('<Response>')) bad++;
    if (attempt) {
      rungAgent++;
      await post(`leg-status?attempt=${attempt}`, { CallSid: sid(), CallStatus: 'ringing', SequenceNumber: '1' });
      const next = await post(`dial-result?attempt=${attempt}`, { CallSid: callSid, CallStatus: 'in-progress', DialCallStatus: 'no-answer' });
      if (next.status !== 200) bad++;
    }
    await post('status', { CallSid: callSid, CallStatus: 'completed', SequenceNumber: '1' });
  }
  const spooled = c.spool!.depth();
  startPostgres();
  const replayStarted = performance.now();
  const pass = await c.spool!.replayer.replayOnce();
  const replayMs = performance.now() - replayStarted;
  const onRecord = await c.db.query<{ n: string }>('SELECT count(*) AS n FROM calls WHERE call_sid = ANY($1)', [sids]);
  const callbacks = await c.db.query<{ n: string }>('SELECT count(DISTINCT callback_id) AS n FROM callback_calls cc JOIN calls ON calls.id = cc.call_id WHERE calls.call_sid = ANY($1)', [sids]).catch(() => [{ n: '?' }]);
  const f = (ms: number) => `${ms.toFixed(1)} ms`;
  console.log(`PostgreSQL down: ${CALLS} calls`);
  const later = incomingMs.slice(1);
  console.log(`  incoming webhook: first ${f(incomingMs[0]!)}; the others p50 ${f(pct(later, 50))}, p99 ${f(pct(later, 99))}, max ${f(Math.max(...later))}`);
  console.log(`  rang an agent: ${rungAgent}/${CALLS}; webhooks not answered 200 with TwiML: ${bad}`);
  console.log(`  spooled events: ${spooled}; replayed ${pass.replayed}, set aside ${pass.setAside}, left ${pass.left}, in ${f(replayMs)}`);
  console.log(`  on record after the restart: ${onRecord[0]!.n}/${CALLS} calls; callbacks holding them: ${callbacks[0]!.n}`);
  server.close();
  await c.close();
  await keys?.cleanup();
}

main()
  .catch((err) => {
    console.error(err);
    process.exitCode = 1;
  })
  .finally(() => {
    try {
      stopPostgres('immediate');
    } catch {
      // already stopped
    }
    rmSync(dir, { recursive: true, force: true });
  });
