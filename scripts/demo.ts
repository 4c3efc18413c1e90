/**
 * npm run demo: the hotline with no accounts and no servers. Starts the server in this process on
 * the embedded defaults (a fresh PGlite database in a temporary folder, coordination in process),
 * adds demo agents through the admin API, plays calls through the built-in Twilio simulator with
 * a fake of Twilio's REST API, prints the figures, and keeps serving the console until Ctrl-C.
 *
 *   npm run demo -- [--calls 24] [--concurrency 4] [--agents 4] [--time-scale 15] [--seed 1] [--exit]
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { AccountService } from '../src/console/account-service';
import { createLogger } from '../src/logger';
import { PostgresAccountStore } from '../src/postgres/account-store';
import { PostgresAuditStore } from '../src/postgres/audit-store';
import { FakeTwilioRest } from '../src/simulator/fake-twilio-rest';
import { sineWav } from '../src/simulator/sine-wav';
import { startInProcessServer } from '../src/simulator/in-process-server';
import { progressBar } from '../src/simulator/progress';
import { ScaledClock } from '../src/simulator/real-time';
import { percentile, runSimulation } from '../src/simulator/simulation';

const HOTLINE = '+864008001234';

async function main() {
  const { values } = parseArgs({
    options: {
      calls: { type: 'string', default: '24' },
      concurrency: { type: 'string', default: '4' },
      agents: { type: 'string', default: '4' },
      'time-scale': { type: 'string', default: '15' },
      seed: { type: 'string', default: '1' },
      exit: { type: 'boolean', default: false },
    },
    strict: true,
  });
  const calls = positive(values.calls!, 'calls');
  const concurrency = positive(values.concurrency!, 'concurrency');
  const agentCount = Math.min(positive(values.agents!, 'agents'), 20);
  const scale = positive(values['time-scale']!, 'time-scale');

  const dataDir = mkdtempSync(join(tmpdir(), 'threering-demo-'));
  const accountSid = 'AC' + randomBytes(16).toString('hex');
  const authToken = randomBytes(16).toString('hex');
  const adminToken = 'demo-' + randomBytes(16).toString('hex');
  const clock = new ScaledClock(scale);
  // Every recorded call plays the same tone through the product (README "Recordings").
  const rest = new FakeTwilioRest({ accountSid, authToken, anyRecording: { body: sineWav({ seconds: 5 }), contentType: 'audio/wav' } });
  const restUrl = await rest.listen();
  process.stdout.write(`Starting ThreeRing (embedded PostgreSQL in ${dataDir}, coordination in process)…\n`);
  const server = await startInProcessServer(
    { PGLITE_DATA_DIR: dataDir, TWILIO_ACCOUNT_SID: accountSid, TWILIO_AUTH_TOKEN: authToken, TWILIO_API_BASE_URL: restUrl, ADMIN_TOKEN: adminToken, LOG_LEVEL: 'error' },
    // Quiet: the terminal belongs to the progress bar. Numbers would be masked in any case.
    { clock, logger: createLogger('error') },
  );
  let closed = false;
  const shutdown = async () => {
    if (closed) return;
    closed = true;
    await server.close().catch(() => undefined);
    await rest.close();
    rmSync(dataDir, { recursive: true, force: true });
  };
  process.on('SIGINT', () => void shutdown().then(() => process.exit(0)));
  process.on('SIGTERM', () => void shutdown().then(() => process.exit(0)));

  const api = async (path: string, init: RequestInit = {}) => {
    const res = await fetch(server.url + path, { ...init, headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' } });
    const body = (await res.json()) as any;
    if (res.status >= 300) throw new Error(`${init.method ?? 'GET'} ${path}: ${res.status} ${JSON.stringify(body)}`);
    return body;
  };
  const phones: string[] = [];
  for (let i = 1; i <= agentCount; i++) {
    const agent = await api('/api/agents', { method: 'POST', body: JSON.stringify({ name: `演示坐席 ${i}`, phone: `+86138001380${String(i).padStart(2, '0')}` }) });
    phones.push(agent.phone);
  }
  const username = 'demo';
  const password = randomBytes(9).toString('base64url');
  const accounts = new AccountService({ accounts: new PostgresAccountStore(server.container.db), clock: server.container.clock, sessionHours: server.container.config.CONSOLE_SESSION_HOURS });
  const account = await accounts.create(username, password, 'admin');
  await new PostgresAuditStore(server.container.db).record({ actor: 'command-line', action: 'account.create', target: account.id, detail: { username, role: 'admin' }, at: clock.now() });

  const started = clock.now();
  process.stdout.write(`${agentCount} agents on the roster; playing ${calls} calls, ${concurrency} at a time, at ${scale}× speed…\n`);
  const result = await runSimulation({
    targetUrl: server.url,
    publicBaseUrl: server.url,
    authToken,
    accountSid,
    hotline: HOTLINE,
    agentPhones: phones,
    calls,
    concurrency,
    seed: Number(values.seed),
    clock,
    rest,
    onCallDone: progressBar('calls'),
  });
  // From here the console shows a calm clock.
  clock.setScale(1);
  const from = new Date(started.getTime() - 60_000).toISOString();
  const to = new Date(clock.now().getTime() + 60_000).toISOString();
  const s = await api(`/api/analytics/summary?from=${encodeURIComponent(from)}&to=${encodeURIComponent(to)}`);
  const callbacks = await api('/api/callbacks?status=open');
  const pct = (r: number | null) => (r === null ? '–' : `${(r * 100).toFixed(0)} %`);
  const sec = (v: number | null) => (v === null ? '–' : `${v.toFixed(1)} s`);
  const ms = result.timings.map((t) => t.ms);
  const out = [
    '',
    `What the simulated callers lived: ${result.lived.answered} put through, ${result.lived.missed} turned away, ${result.lived.abandoned} hung up first; ${result.rated} rated the call` +
      (result.failedCalls ? `; ${result.failedCalls} calls failed (${result.errors.slice(0, 3).join('; ')})` : ''),
    `Webhooks: ${result.timings.length} signed requests, p50 ${percentile(ms, 50)?.toFixed(0)} ms, p99 ${percentile(ms, 99)?.toFixed(0)} ms; ${rest.sms.length} SMS and ${rest.redirects.length} call redirects through the fake REST API`,
    '',
    'The figures (GET /api/analytics/summary):',
    `  offered ${s.offered}   answered ${s.answered}   missed ${s.missed}   abandoned ${s.abandoned}`,
    `  answer rate ${pct(s.answerRate)}   service level (≤ ${s.answerThresholdSeconds} s) ${pct(s.serviceLevel)}   abandonment ${pct(s.abandonmentRate)}`,
    `  average speed of answer ${sec(s.averageSpeedOfAnswerSeconds)}   first ring mean ${sec(s.firstRingSeconds?.mean ?? null)}, p90 ${sec(s.firstRingSeconds?.p90 ?? null)}   average talk ${sec(s.averageTalkSeconds)}`,
    ...s.agents.map((a: any) => `  ${a.name ?? a.agentId}: offered ${a.offers} (first ${a.offeredFirst}), accepted ${a.accepted}, accept rate ${pct(a.acceptRate)}`),
    `  open callbacks: ${callbacks.callbacks.length}`,
    '',
    'Where to look:',
    `  console   ${server.url}/console/   user ${username}   password ${password}`,
    `  API       curl -H 'Authorization: Bearer ${adminToken}' ${server.url}/api/calls`,
    '',
  ];
  process.stdout.write(out.join('\n') + '\n');
  if (values.exit) {
    await shutdown();
    process.exit(result.failedCalls > 0 || s.offered !== calls ? 1 : 0);
  }
  process.stdout.write('The server keeps running for the console; Ctrl-C stops it and deletes the demo data.\n');
}

function positive(v: string, name: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new Error(`--${name}: must be a whole number of at least 1`);
  return n;
}

main().catch((err) => {
  process.stderr.write(`demo: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
