/**
 * Smoke test of the README's first command on a clean checkout: `npm start` with no settings at
 * all (embedded PGlite under ./data/pglite, in-process coordination), then what a newcomer does
 * next: add an agent through the admin API, place one call through a webhook signed exactly as
 * Twilio signs it, and stop the server with SIGTERM. Exits 0 only if the server became ready,
 * rang that agent and exited 0 on SIGTERM. Then issue 24's acceptance on the same database
 * (scripts/smoke-recorded-call.ts): a supervisor and a viewer from `npm run create-admin`, the built
 * server started again with Twilio's REST API faked, one call answered and recorded, heard by the
 * supervisor through the product (206 with Range), refused to the viewer (403), the listen
 * audited, no Twilio media address in a page, an API answer or a log; then SIGTERM again, exit 0.
 * Bounded by its own deadlines, and it never leaves a server running. Linux only (it finds the
 * server under npm through /proc).
 *
 *   npx tsx scripts/smoke-start.ts        (.ci/run runs it before the tests)
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { XMLParser } from 'fast-xml-parser';
import twilio from 'twilio';
import { configSchema } from '../src/config';
import { maskPhone, maskPhonesInText } from '../src/domain/endpoint';
import { check, sleep, SmokeFailure } from './smoke-checks';
import { recordedCall, type StartedServer } from './smoke-recorded-call';

const ROOT = join(__dirname, '..');
const READY_SECONDS = 180; // npm start compiles first (tsc), then creates and migrates the database
const STOP_SECONDS = 25; // the server forces its own exit after 20 s
const REQUEST_SECONDS = 10;
const AGENT_PHONE = '+8613800000001';

// What a fresh clone runs with: the development defaults of src/config.ts.
const defaults = configSchema.parse({});
const started = Date.now();
const elapsed = () => `${((Date.now() - started) / 1000).toFixed(1)}s`;
const say = (line: string) => process.stdout.write(`smoke [${elapsed()}] ${line}\n`);

/** The README's port unless something else holds it; then any free one. */
async function choosePort(preferred: number): Promise<number> {
  const tryListen = (port: number) =>
    new Promise<number | undefined>((resolve) => {
      const probe = createServer();
      probe.once('error', () => resolve(undefined));
      probe.listen(port, () => {
        const { port: got } = probe.address() as { port: number };
        probe.close(() => resolve(got));
      });
    });
  return (await tryListen(preferred)) ?? (await tryListen(0)) ?? preferred;
}

/** The node process that runs the server: npm starts it through `sh -c`, and sh does not pass SIGTERM on. */
function serverPid(groupId: number): number | undefined {
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const [, , pgrp] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(pgrp) !== groupId) continue;
      const argv = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0');
      if (basename(argv[0] ?? '') === 'node' && argv.some((a) => a.endsWith('dist/src/server.js'))) return Number(entry);
    } catch {
      // the process ended while we looked
    }
  }
  return undefined;
}

const groupAlive = (groupId: number) => {
  try {
    process.kill(-groupId, 0);
    return true;
  } catch {
    return false;
  }
};

/** Every element called `name` anywhere below node (the parser keeps every element in an array). */
function elements(node: unknown, name: string): unknown[] {
  if (Array.isArray(node)) return node.flatMap((n) => elements(n, name));
  if (!node || typeof node !== 'object') return [];
  return Object.entries(node).flatMap(([k, v]) => [...(k === name && Array.isArray(v) ? v : []), ...elements(v, name)]);
}
const textOf = (node: unknown): string =>
  typeof node === 'string' ? node : String((node as Record<string, unknown> | null)?.['#text'] ?? '');

async function main(): Promise<number> {
  const port = await choosePort(defaults.PORT);
  const publicBaseUrl = port === defaults.PORT ? defaults.PUBLIC_BASE_URL : `http://localhost:${port}`;
  const local = `http://127.0.0.1:${port}`;

  // No ThreeRing setting from the caller's environment: the README's command runs on defaults.
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const key of Object.keys(configSchema.shape)) delete env[key];
  if (port !== defaults.PORT) Object.assign(env, { PORT: String(port), PUBLIC_BASE_URL: publicBaseUrl });

  // A clean clone has no ./data: the server must create ./data/pglite itself. Where ./data already
  // exists (someone's working tree), a new nested folder elsewhere tests the same and keeps their data.
  const dataDir = join(ROOT, 'data');
  const ownsDataDir = !existsSync(dataDir);
  const scratch = ownsDataDir ? undefined : mkdtempSync(join(tmpdir(), 'threering-smoke-'));
  if (scratch) env.PGLITE_DATA_DIR = join(scratch, 'data', 'pglite');

  say(`npm start on port ${port}, no DATABASE_URL or REDIS_URL, database in ${env.PGLITE_DATA_DIR ?? './data/pglite'}`);
  // Its own process group, so that whatever is left of it can be killed at once.
  const npm = spawn('npm', ['start'], { cwd: ROOT, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  const groupId = npm.pid!;
  let output = '';
  const relay = (chunk: Buffer) => {
    output += chunk.toString();
    for (const line of chunk.toString().split('\n')) if (line.trim()) process.stdout.write(`  | ${line}\n`);
  };
  npm.stdout.on('data', relay);
  npm.stderr.on('data', relay);
  let exitCode: number | null | undefined; // undefined while running; null when killed by a signal
  const exited = new Promise<void>((resolve) => npm.once('exit', (code) => ((exitCode = code), resolve())));

  // The second start (the recorded call), once there is one.
  let second: StartedServer | undefined;
  const secondAlive = () => second !== undefined && second.process.exitCode === null && second.process.signalCode === null;
  // Synchronous, so that it also runs on process.exit: CI's timeout ends the smoke with SIGTERM.
  const cleanUp = () => {
    if (groupAlive(groupId)) process.kill(-groupId, 'SIGKILL');
    if (secondAlive()) second!.process.kill('SIGKILL');
    if (ownsDataDir) rmSync(dataDir, { recursive: true, force: true });
    if (scratch) rmSync(scratch, { recursive: true, force: true });
  };
  process.once('exit', cleanUp);
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      say(`FAILED: interrupted by ${signal}; npm start killed`);
      process.exit(1);
    });
  }

  try {
    const request = (path: string, init: RequestInit = {}) => fetch(local + path, { ...init, signal: AbortSignal.timeout(REQUEST_SECONDS * 1000) });

    // 1. Ready: /readyz answers 200, on the embedded database and in-process coordination.
    const readyBy = Date.now() + READY_SECONDS * 1000;
    let ready: { database?: string; coordination?: string } | undefined;
    while (!ready) {
      check(exitCode === undefined, `npm start exited with code ${exitCode} before the server was ready`);
      check(Date.now() < readyBy, `GET /readyz did not answer 200 within ${READY_SECONDS}s`);
      const res = await request('/readyz').catch(() => undefined);
      if (res?.status === 200) ready = (await res.json()) as typeof ready;
      else await sleep(500);
    }
    check(ready.database === 'pglite' && ready.coordination === 'in-process', `readyz: expected pglite and in-process, got ${JSON.stringify(ready)}`);
    check(!ownsDataDir || existsSync(join(dataDir, 'pglite')), './data/pglite was not created');
    say(`ready: GET /readyz 200 (${ready.database}, ${ready.coordination})`);

    // 2. One agent, through the admin API with the development admin token.
    const created = await request('/api/agents', {
      method: 'POST',
      headers: { Authorization: `Bearer ${defaults.ADMIN_TOKEN}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ name: 'Smoke agent', phone: AGENT_PHONE }),
    });
    const agentBody = await created.text();
    check(created.status === 201, `POST /api/agents answered ${created.status}: ${maskPhonesInText(agentBody)}`);
    say(`agent created: POST /api/agents 201 (${maskPhone(AGENT_PHONE)})`);

    // 3. One call, signed the way Twilio signs it: PUBLIC_BASE_URL + path over the form parameters.
    const params = {
      AccountSid: defaults.TWILIO_ACCOUNT_SID,
      CallSid: 'CA' + randomBytes(16).toString('hex'),
      From: '+8613900000002',
      To: '+864008000000',
      CallStatus: 'ringing',
      Direction: 'inbound',
      ApiVersion: '2010-04-01',
    };
    const path = '/webhooks/voice/incoming';
    const signature = twilio.getExpectedTwilioSignature(defaults.TWILIO_AUTH_TOKEN, publicBaseUrl + path, params);
    const incoming = await request(path, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded', 'X-Twilio-Signature': signature },
      body: new URLSearchParams(params),
    });
    const twiml = await incoming.text();
    const shown = maskPhonesInText(twiml);
    check(incoming.status === 200, `incoming webhook answered ${incoming.status}: ${shown}`);
    check(incoming.headers.get('content-type')?.startsWith('text/xml'), `incoming webhook answered ${incoming.headers.get('content-type')}, not text/xml`);
    // Only the <Dial> is checked: what is said before it may change.
    const doc = new XMLParser({ ignoreAttributes: false, isArray: () => true, parseTagValue: false }).parse(twiml) as unknown;
    const response = elements(doc, 'Response');
    check(response.length === 1, `not TwiML: ${shown}`);
    const numbers = elements(elements(response, 'Dial'), 'Number').map((n) => textOf(n).trim());
    check(numbers.includes(AGENT_PHONE), `the incoming call does not <Dial> the agent's <Number>: ${shown}`);
    say(`incoming call: 200 text/xml, <Dial><Number>${maskPhone(AGENT_PHONE)}</Number>`);

    // 4. SIGTERM to the server itself; npm passes its exit code on.
    const pid = serverPid(groupId);
    check(pid !== undefined, 'no node process running dist/src/server.js under npm start');
    const stopAt = Date.now();
    process.kill(pid, 'SIGTERM');
    await Promise.race([exited, sleep(STOP_SECONDS * 1000)]);
    check(exitCode !== undefined, `the server was still running ${STOP_SECONDS}s after SIGTERM`);
    check(exitCode === 0, `after SIGTERM the server exited with ${exitCode === null ? 'a signal' : `code ${exitCode}`}, not 0`);
    check(output.includes('"message":"drained"'), 'the server exited without its "drained" log line (README, DRAIN_NOTICE_SECONDS)');
    await sleep(200);
    check(!groupAlive(groupId), 'processes of npm start were still running after it exited');
    say(`stopped: SIGTERM, exit code 0 after ${((Date.now() - stopAt) / 1000).toFixed(1)}s`);

    // 5. Issue 24's acceptance: an answered call recorded, heard by a supervisor, refused to a viewer.
    const server = await recordedCall(
      {
        local,
        publicBaseUrl,
        env,
        adminToken: defaults.ADMIN_TOKEN,
        accountSid: defaults.TWILIO_ACCOUNT_SID,
        authToken: defaults.TWILIO_AUTH_TOKEN,
        hotline: params.To,
        firstAgent: AGENT_PHONE,
        earlierLog: output,
        say,
        relay: (line) => process.stdout.write(`  | ${line}\n`),
      },
      (s) => (second = s),
    );
    server.process.kill('SIGTERM');
    const secondCode = await Promise.race([server.exited, sleep(STOP_SECONDS * 1000).then(() => 'running' as const)]);
    check(secondCode !== 'running', `the second start was still running ${STOP_SECONDS}s after SIGTERM`);
    check(secondCode === 0, `after SIGTERM the second start exited with ${secondCode === null ? 'a signal' : `code ${secondCode}`}, not 0`);
    say('stopped again: SIGTERM, exit code 0');
    return 0;
  } catch (err) {
    say(`FAILED: ${err instanceof SmokeFailure ? err.message : err instanceof Error ? err.stack : String(err)}`);
    return 1;
  } finally {
    if (groupAlive(groupId)) process.kill(-groupId, 'SIGKILL');
    await Promise.race([exited, sleep(5_000)]);
    if (secondAlive()) {
      second!.process.kill('SIGKILL');
      await Promise.race([second!.exited, sleep(5_000)]);
    }
    cleanUp();
  }
}

main().then(
  (code) => {
    say(code === 0 ? 'passed' : 'failed');
    process.exit(code);
  },
  (err) => {
    process.stderr.write(`smoke: ${err instanceof Error ? err.stack : String(err)}\n`);
    process.exit(1);
  },
);
