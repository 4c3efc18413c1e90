/**
 * npm run demo: the hotline with no accounts and no servers. Starts the server in this process on
 * the embedded defaults (a fresh PGlite database in a temporary folder, coordination in process),
 * adds demo agents through the admin API, plays a good day through the built-in Twilio simulator
 * with a fake of Twilio's REST API (src/simulator/good-day.ts), places one missed caller's callback
 * and plays that call as Twilio would (src/simulator/callback-call.ts), and prints the figures and what
 * each part of the day shows. The screen holds the progress bar and that summary; the server's
 * log goes to a file it names. On a terminal it then keeps the console up until Ctrl-C; with no
 * terminal (a pipe, CI) it exits, unless --serve asks it to stay.
 *
 *   npm run demo -- [--calls 30] [--agents 6] [--time-scale 10] [--seed 1] [--max-talk 90] [--log FILE] [--serve | --exit]
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { AccountService } from '../src/console/account-service';
import { maskPhone } from '../src/domain/endpoint';
import { createLogger } from '../src/logger';
import { PostgresAccountStore } from '../src/postgres/account-store';
import { PostgresAuditStore } from '../src/postgres/audit-store';
import { FakeTwilioRest } from '../src/simulator/fake-twilio-rest';
import { playCallbackCall } from '../src/simulator/callback-call';
import { goodDay } from '../src/simulator/good-day';
import { httpTransport } from '../src/simulator/http-transport';
import { sineWav } from '../src/simulator/sine-wav';
import { startInProcessServer } from '../src/simulator/in-process-server';
import { progressBar } from '../src/simulator/progress';
import { ScaledClock } from '../src/simulator/real-time';
import { percentile, runSimulation, type SimulationResult } from '../src/simulator/simulation';

const HOTLINE = '+864008001234';

async function main() {
  const { values } = parseArgs({
    options: {
      calls: { type: 'string', default: '30' },
      agents: { type: 'string', default: '6' },
      'time-scale': { type: 'string', default: '10' },
      seed: { type: 'string', default: '1' },
      'max-talk': { type: 'string', default: '90' },
      log: { type: 'string' },
      serve: { type: 'boolean', default: false },
      exit: { type: 'boolean', default: false },
    },
    strict: true,
  });
  const calls = positive(values.calls!, 'calls');
  const agentCount = Math.min(Math.max(positive(values.agents!, 'agents'), 2), 20);
  const scale = positive(values['time-scale']!, 'time-scale');
  // Stay for the console on a terminal, or when asked; a pipe or CI gets the figures and an exit.
  const serve = values.serve || (process.stdout.isTTY === true && !values.exit);

  const dataDir = mkdtempSync(join(tmpdir(), 'threering-demo-'));
  const logFile = values.log ?? join(tmpdir(), `threering-demo-${new Date().toISOString().replace(/[:.]/g, '-')}.log`);
  const logger = createLogger('info', false, logFile);
  const accountSid = 'AC' + randomBytes(16).toString('hex');
  const authToken = randomBytes(16).toString('hex');
  const adminToken = 'demo-' + randomBytes(16).toString('hex');
  const clock = new ScaledClock(scale);
  // Every recorded call plays the same tone through the product (README "Recordings").
  const rest = new FakeTwilioRest({ accountSid, authToken, anyRecording: { body: sineWav({ seconds: 5 }), contentType: 'audio/wav' } });
  const restUrl = await rest.listen();
  say(`Starting ThreeRing (embedded PostgreSQL in ${dataDir}, coordination in process); its log goes to ${logFile}`);
  const server = await startInProcessServer(
    { PGLITE_DATA_DIR: dataDir, TWILIO_ACCOUNT_SID: accountSid, TWILIO_AUTH_TOKEN: authToken, TWILIO_API_BASE_URL: restUrl, ADMIN_TOKEN: adminToken, LOG_LEVEL: 'info' },
    { clock, logger },
  );
  let closed = false;
  const shutdown = async () => {
    if (closed) return;
    closed = true;
    await server.close().catch(() => undefined);
    await rest.close();
    rmSync(dataDir, { recursive: true, force: true });
    await new Promise<void>((resolve) => {
      logger.on('finish', () => resolve());
      logger.end();
    });
  };
  process.on('SIGINT', () => void shutdown().then(() => process.exit(0)));
  process.on('SIGTERM', () => void shutdown().then(() => process.exit(0)));

  const api = async (path: string, init: RequestInit = {}) => {
    const res = await fetch(server.url + path, { ...init, headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' } });
    const body = (await res.json()) as any;
    if (res.status >= 300) throw new Error(`${init.method ?? 'GET'} ${path}: ${res.status} ${JSON.stringify(body)}`);
    return body;
  };
  /** Places a caller's open callback through the API and plays the call Twilio would make; says how it went. */
  const callBack = async (phone: string): Promise<string> => {
    const cb = ((await api('/api/callbacks?limit=200')).callbacks as any[]).find((c) => c.phone === phone && (c.status === 'open' || c.status === 'attempted'));
    if (!cb) return '(no open callback was left to place)';
    const before = rest.callsCreated.length;
    await api(`/api/callbacks/${cb.id}/dial`, { method: 'POST' });
    const created = rest.callsCreated[before];
    if (!created) throw new Error('the callback was placed but Twilio was never asked for the call');
    const owner = ((await api('/api/agents')).agents as any[]).find((a) => a.id === cb.ownerAgentId);
    const played = await playCallbackCall({
      created,
      transport: httpTransport({ targetUrl: server.url, publicBaseUrl: server.url }),
      authToken,
      accountSid,
      clock,
      sleep: (seconds) => new Promise((r) => setTimeout(r, (seconds * 1000) / clock.timeScale)),
      talkSeconds: 40,
    });
    const after = (await api(`/api/callbacks/${cb.id}`)) as any;
    const due = new Date(cb.dueAt).getTime() - clock.now().getTime();
    return `(${owner?.name ?? 'its owner'}: the customer ${played.dialStatus === 'completed' ? 'answered' : 'did not answer'}, callback ${after.status}, ${due >= 0 ? `${Math.round(due / 60_000)} min before its deadline` : 'after its deadline'})`;
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

  const day = goodDay({ hotline: HOTLINE, agentPhones: phones, calls, seed: Number(values.seed), maxTalkSeconds: Math.max(20, positive(values['max-talk']!, 'max-talk')) });
  await api('/api/blocklist', { method: 'POST', body: JSON.stringify({ pattern: day.blockedNumber, reason: 'harassment', note: 'demo: a caller who harassed agents' }) });
  const total = day.phases.reduce((n, p) => n + p.scripts.length, 0);
  say(`${agentCount} agents on the roster; playing a day of ${total} calls at ${scale}× speed…`);
  const started = clock.now();
  const bar = progressBar('calls');
  let done = 0;
  const results: SimulationResult[] = [];
  for (const phase of day.phases) {
    results.push(
      await runSimulation({
        targetUrl: server.url,
        publicBaseUrl: server.url,
        authToken,
        accountSid,
        hotline: HOTLINE,
        agentPhones: phones,
        calls: phase.scripts.length,
        scripts: phase.scripts,
        concurrency: phase.concurrency,
        seed: Number(values.seed),
        clock,
        rest,
        onCallDone: () => bar(++done, total),
      }),
    );
  }
  // The call-end outbox closes a returned callback just after the call: give it a moment.
  await new Promise((r) => setTimeout(r, 1_500));
  // The other caller who asked for a callback is called back by its owner, as the callbacks page's 发起回电 does.
  const calledBack = await callBack(day.calledBack);
  // From here the console shows a calm clock.
  clock.setScale(1);
  const window = `from=${encodeURIComponent(new Date(started.getTime() - 60_000).toISOString())}&to=${encodeURIComponent(new Date(clock.now().getTime() + 60_000).toISOString())}`;

  // The complaint: the day's first answered call, typed a complaint as its agent would, then a progress reply.
  const callList = (await api(`/api/calls?limit=200&${window}`)).calls as any[];
  const complained = callList.filter((c) => c.outcome === 'answered').at(-1);
  let complaint: any = null;
  if (complained) {
    await api(`/api/calls/${complained.id}`, { method: 'PATCH', body: JSON.stringify({ type: 'complaint', summary: '客户投诉：等待时间过长 (demo)' }) });
    const open = (await api('/api/complaints?status=open')).complaints as any[];
    if (open[0]) complaint = await api(`/api/complaints/${open[0].id}/progress`, { method: 'POST', body: JSON.stringify({ note: '已致电客户说明情况并致歉 (demo)', channel: 'call' }) });
  }

  const s = await api(`/api/analytics/summary?${window}`);
  const callbacks = ((await api('/api/callbacks?limit=200')).callbacks as any[]).filter((c) => day.callbackCallers.includes(c.phone));
  const waited = callList.filter((c) => (c.lineWaitSeconds ?? 0) > 0);
  const blocked = callList.filter((c) => c.blocked);
  const lived = { answered: 0, missed: 0, abandoned: 0 };
  for (const r of results) for (const k of ['answered', 'missed', 'abandoned'] as const) lived[k] += r.lived[k];
  const failedCalls = results.reduce((n, r) => n + r.failedCalls, 0);
  const errors = results.flatMap((r) => r.errors);
  const ms = results.flatMap((r) => r.timings.map((t) => t.ms));
  const smsSent = rest.sms.length;
  const pct = (r: number | null) => (r === null ? '–' : `${(r * 100).toFixed(0)} %`);
  const sec = (v: number | null) => (v === null ? '–' : `${v.toFixed(1)} s`);
  const within = callList.filter((c) => c.withinAnswerRule === true).length;
  // Why a call missed the rule, for whoever reads the log after a run.
  for (const c of callList.filter((c) => !c.blocked && c.withinAnswerRule !== true)) {
    logger.info('demo: a call outside the rule', { callId: c.id, outcome: c.outcome, missedReason: c.missedReason, waitSeconds: c.waitSeconds, lineWaitSeconds: c.lineWaitSeconds, attempts: c.attempts.map((a: any) => a.outcome) });
  }
  const rule = s.answerThresholdSeconds;
  const out = [
    '',
    `What the simulated callers lived: ${lived.answered} put through, ${lived.missed} not (the blocked caller and those who asked for a callback), ${lived.abandoned} hung up first` +
      (failedCalls ? `; ${failedCalls} calls failed (${errors.slice(0, 3).join('; ')})` : ''),
    `Webhooks: ${ms.length} signed requests, p50 ${percentile(ms, 50)?.toFixed(0)} ms, p99 ${percentile(ms, 99)?.toFixed(0)} ms; ${smsSent} SMS and ${rest.redirects.length} call redirects through the fake REST API`,
    '',
    'The figures (GET /api/analytics/summary):',
    `  offered ${s.offered}   answered ${s.answered}   missed ${s.missed}   abandoned ${s.abandoned}   blocked ${s.blocked}`,
    `  answer rate ${pct(s.answerRate)}   service level (≤ ${rule} s) ${pct(s.serviceLevel)}   abandonment ${pct(s.abandonmentRate)}`,
    `  average speed of answer ${sec(s.averageSpeedOfAnswerSeconds)}   first ring mean ${sec(s.firstRingSeconds?.mean ?? null)}, p90 ${sec(s.firstRingSeconds?.p90 ?? null)}   average talk ${sec(s.averageTalkSeconds)}`,
    ...s.agents.map((a: any) => `  ${a.name ?? a.agentId}: offered ${a.offers} (first ${a.offeredFirst}), accepted ${a.accepted}, accept rate ${pct(a.acceptRate)}`),
    '',
    'What each part of the day shows:',
    `  The rule (R2): ${within} of ${s.answered} answered callers were put through within ${rule} s; an agent who lets it ring out is passed over for the next. Console: Today, Calls.`,
    `  Missed, then called back (R3, R4): ${day.callbackCallers.length} callers asked for a callback while holding; ${callbacks.length} callbacks opened, now ${describeStatuses(callbacks)}: ` +
      `one caller called again and was put through (a repeat call answered returns the callback), the other was called back by the callback's owner ${calledBack}. Console: Callbacks (done).`,
    `  The waiting line: ${waited.length} caller${waited.length === 1 ? '' : 's'} waited in it while every agent talked` +
      (waited[0] ? ` (${waited[0].lineWaitSeconds} s, then put through after ${waited[0].waitSeconds ?? '–'} s)` : '') +
      '. Console: Calls (waited in line).',
    `  A blocked number (R10): ${maskPhone(day.blockedNumber)} on the blocklist called ${blocked.length} time${blocked.length === 1 ? '' : 's'}; rejected before any phone rang, counted only as blocked. Console: Blocklist.`,
    complaint
      ? `  A complaint (R11): one answered call typed a complaint opened a case due a reply by ${localTime(complaint.replyDueAt)}; a progress reply at ${localTime(complaint.progress.at(-1)?.at)} ${complaint.late ? 'came late' : 'stopped the clock in time'}. Console: Complaints.`
      : '  A complaint (R11): no answered call to type a complaint on.',
    '',
    // With no terminal the server stops right after this: no address or password that leads nowhere.
    ...(serve
      ? [
          'Where to look:',
          `  console   ${server.url}/console/   user ${username}   password ${password}`,
          `  API       curl -H 'Authorization: Bearer ${adminToken}' ${server.url}/api/calls`,
          `  log       ${logFile}`,
        ]
      : [
          `The log: ${logFile}`,
          'No terminal is attached, so the demo has stopped its server and deleted its data. To look around the',
          'console after the day, run `npm run demo` on a terminal, or `npm run demo -- --serve`.',
        ]),
    '',
  ];
  process.stdout.write(out.join('\n') + '\n');
  const code = failedCalls > 0 || s.offered + s.blocked !== total ? 1 : 0;
  if (!serve) {
    await shutdown();
    process.exit(code);
  }
  say('The server keeps running for the console; press Ctrl-C to stop it (the demo data is deleted then).');
}

function say(line: string): void {
  process.stdout.write(line + '\n');
}

function describeStatuses(callbacks: { status: string }[]): string {
  if (callbacks.length === 0) return 'none';
  const counts = new Map<string, number>();
  for (const c of callbacks) counts.set(c.status, (counts.get(c.status) ?? 0) + 1);
  return [...counts].map(([status, n]) => `${n} ${status}`).join(', ');
}

function localTime(at: string | null | undefined): string {
  return at ? new Date(at).toISOString().slice(11, 16) + ' UTC' : '–';
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
