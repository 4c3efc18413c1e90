/**
 * npm run hostile: the real server in its own process, a few seeded agents and calls, then
 * generated hostile requests (fast-check, reproducible from --seed) over every route the app's
 * router lists. First a phase with no valid credential at all, checked against a checksum of
 * every table and Redis key; then a phase where most requests are correctly signed or carry the
 * admin token, the console session or a valid link. Fails on a 5xx, invalid TwiML, a dropped
 * connection, a dead server, a change made without credentials, or a number or secret in the logs.
 *
 *   npm run hostile -- [--requests 10000] [--seed 11] [--concurrency 8] [--port 3301] [--calls 4]
 *   (DATABASE_URL and REDIS_URL, when set, get a scratch database and key prefix of their own)
 */
import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import { FakeTwilioRest } from '../src/simulator/fake-twilio-rest';
import { generateRequests, type HostileTarget } from './hostile/hostile-requests';
import { describeFailure, judgeAll, routeTable, statusTotals, type Outcome } from './hostile/hostile-report';
import { leaksIn } from './hostile/judge';
import { appRoutes } from './hostile/route-list';
import { CHANGED_BY_DESIGN, differences, scratchBackend, tableChecksums, type ScratchBackend } from './hostile/scratch-backend';
import { consoleSignIn, createConsoleAdmin, seedHotline } from './hostile/seed-hotline';
import { startServerProcess, type ServerProcess } from './hostile/server-process';
import { sendAll } from './hostile/send-request';

const FALLBACK_NUMBER = '+861012345678';

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      requests: { type: 'string', default: '10000' },
      seed: { type: 'string', default: '11' },
      concurrency: { type: 'string', default: '8' },
      port: { type: 'string', default: '3301' },
      calls: { type: 'string', default: '4' },
    },
    strict: true,
  });
  const total = whole(values.requests!, 'requests', 2);
  const seed = whole(values.seed!, 'seed', 0);
  const concurrency = whole(values.concurrency!, 'concurrency', 1);
  const port = whole(values.port!, 'port', 1);
  const started = Date.now();

  const secrets = {
    accountSid: 'AC' + randomBytes(16).toString('hex'),
    authToken: randomBytes(16).toString('hex'),
    adminToken: 'hostile-admin-' + randomBytes(16).toString('hex'),
    linkSecret: 'hostile-link-' + randomBytes(16).toString('hex'),
    metricsToken: 'hostile-metrics-' + randomBytes(16).toString('hex'),
    consolePassword: randomBytes(12).toString('base64url'),
  };
  const rest = new FakeTwilioRest({ accountSid: secrets.accountSid, authToken: secrets.authToken });
  const backend = await scratchBackend();
  let server: ServerProcess | undefined;
  const logs: string[] = [];
  const problems: string[] = [];
  try {
    const restUrl = await rest.listen(port + 1);
    const env: Record<string, string> = {
      ...backend.env,
      TWILIO_ACCOUNT_SID: secrets.accountSid,
      TWILIO_AUTH_TOKEN: secrets.authToken,
      TWILIO_API_BASE_URL: restUrl,
      ADMIN_TOKEN: secrets.adminToken,
      LINK_SECRET: secrets.linkSecret,
      METRICS_TOKEN: secrets.metricsToken,
      FALLBACK_NUMBER,
      LOG_LEVEL: 'debug',
      // Background sweeps change records on their own; the unsigned phase must see only what requests do.
      SCHEDULER_INTERVAL_SECONDS: '3600',
      OUTBOX_RETRY_SECONDS: '3600',
      CALL_SETTLE_SECONDS: '3600',
      COMPLAINT_SWEEP_SECONDS: '3600',
      WAITING_LINE_SWEEP_SECONDS: '60',
      // The requests come over loopback as through a proxy on the same host: the odd X-Forwarded-For
      // values are then read (off, the default, the header is ignored) and become the sign-in throttle's address.
      TRUST_PROXY: 'loopback',
    };
    const db = await backend.openDb();
    await createConsoleAdmin(db, 'hostile', secrets.consolePassword);
    await db.close();

    const routes = await appRoutes();
    say(`${routes.length} routes from the app's router; backend ${backend.kind}; seed ${seed}; ${total} requests`);
    server = await startServerProcess(env, port);
    const seeded = await seedHotline({ url: server.url, adminToken: secrets.adminToken, authToken: secrets.authToken, accountSid: secrets.accountSid, calls: whole(values.calls!, 'calls', 0), seed, rest });
    const target: HostileTarget = {
      publicBaseUrl: server.url,
      twilioAuthToken: secrets.authToken,
      adminToken: secrets.adminToken,
      metricsToken: secrets.metricsToken,
      linkSecret: secrets.linkSecret,
      ...seeded,
      consoleSession: await consoleSignIn(server.url, 'hostile', secrets.consolePassword),
    };
    say(`seeded ${seeded.known.agentIds.length} agents, ${seeded.known.callIds.length} calls, ${seeded.known.attemptIds.length} ring attempts, ${seeded.known.callbackIds.length} callbacks`);

    const unsignedCount = Math.floor(total / 2);
    const unsigned = generateRequests(routes, target, false, unsignedCount, seed);
    const signed = generateRequests(routes, target, true, total - unsignedCount, seed + 1);

    // PGlite admits one process: the embedded database is read while its server is stopped.
    const snapshot = async () => {
      if (backend.kind === 'embedded') {
        logs.push(server!.output());
        await server!.stop();
      }
      const state = await readState(backend);
      if (backend.kind === 'embedded') server = await startServerProcess(env, port);
      return state;
    };
    const before = await snapshot();
    const outcomes: Outcome[] = [];
    say(`unsigned phase: ${unsigned.length} requests with no valid signature, token, session or link…`);
    outcomes.push(...judgeAll('unsigned', unsigned, await sendAll(server.url, unsigned, concurrency, progress(unsigned.length))));
    if (!server.alive()) problems.push('the server process died during the unsigned phase');
    const after = await snapshot();
    const changed = differences(before, after, CHANGED_BY_DESIGN);
    for (const c of changed) problems.push(`changed by unsigned requests: ${c}`);

    say(`signed phase: ${signed.length} requests, most correctly signed or authenticated…`);
    outcomes.push(...judgeAll('signed', signed, await sendAll(server.url, signed, concurrency, progress(signed.length))));
    if (!server.alive()) problems.push('the server process died during the signed phase');
    const health = await fetch(`${server.url}/healthz`).then((r) => r.status, (e: Error) => e.message);
    if (health !== 200) problems.push(`/healthz answered ${health} after the run`);
    logs.push(server.output());
    const exitCode = await server.stop();
    server = undefined;
    if (exitCode !== 0) problems.push(`the server exited with ${exitCode} on SIGTERM (0 expected)`);

    const log = logs.join('');
    const leaks = leaksIn(log, [...target.known.phones, FALLBACK_NUMBER], [secrets.authToken, secrets.adminToken, secrets.linkSecret, secrets.metricsToken, secrets.consolePassword, target.consoleSession!.cookie.split('=')[1]!, target.consoleSession!.csrf]);
    for (const l of leaks) problems.push(`log: ${l}`);

    const failed = outcomes.filter((o) => o.problem);
    const lines = [
      '',
      `Answers per route (${outcomes.length} requests; status:count):`,
      ...routeTable(outcomes),
      '',
      `All routes: ${statusTotals(outcomes)}`,
      `Unsigned phase: ${unsigned.length} requests, ${changed.length} tables or keys changed (${before.size} compared; ${[...CHANGED_BY_DESIGN].join(', ')} left out: failed sign-ins are recorded to throttle guessing, and each spool reports what it holds every 2 s)`,
      `Signed phase: ${signed.length} requests, ${signed.filter((r) => r.credentialed).length} with a valid credential`,
      `Server log: ${log.split('\n').length} lines scanned for full numbers and secrets, ${leaks.length} found`,
      `Failures: ${failed.length} requests, ${problems.length} other problems; ${((Date.now() - started) / 1000).toFixed(0)} s`,
      ...failed.slice(0, 30).map(describeFailure),
      ...(failed.length > 30 ? [`  … and ${failed.length - 30} more`] : []),
      ...problems.map((p) => `  ${p}`),
      failed.length || problems.length ? 'FAIL' : 'PASS',
    ];
    process.stdout.write(lines.join('\n') + '\n');
    return failed.length || problems.length ? 1 : 0;
  } finally {
    if (server) {
      await server.stop();
    }
    await rest.close();
    await backend.drop();
  }
}

async function readState(backend: ScratchBackend): Promise<Map<string, string>> {
  const db = await backend.openDb();
  try {
    const tables = await tableChecksums(db);
    for (const [key, value] of await backend.redisState()) tables.set(`redis ${key}`, value);
    return tables;
  } finally {
    await db.close();
  }
}

function progress(n: number): (done: number) => void {
  const step = Math.max(1, Math.floor(n / 10));
  return (done) => {
    if (done % step === 0 || done === n) process.stdout.write(`  ${done}/${n}\n`);
  };
}

const startedAt = Date.now();
function say(s: string) {
  process.stdout.write(`[${((Date.now() - startedAt) / 1000).toFixed(0).padStart(4)} s] ${s}\n`);
}

function whole(v: string, name: string, min: number): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < min) throw new Error(`--${name}: must be a whole number of at least ${min}`);
  return n;
}

main().then(
  (code) => process.exit(code),
  (err) => {
    process.stderr.write(`hostile: ${err instanceof Error ? err.stack : String(err)}\n`);
    process.exit(1);
  },
);
