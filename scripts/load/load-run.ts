import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { FakeTwilioRest } from '../../src/simulator/fake-twilio-rest';
import { progressBar } from '../../src/simulator/progress';
import { percentile, runSimulation } from '../../src/simulator/simulation';
import { Balancer } from './balancer';
import { startInstance, stopInstance, type Instance } from './instances';
import { loadNetwork } from './load-network';
import { readRecord, waitForSettled, type OutageWindow } from './record-checks';
import { loadServices } from './services';
import { sharedScaledClock } from './shared-clock';
import { newDeliveryLog, twilioDelivery } from './twilio-delivery';

export const FAULTS = ['redis-stop', 'pg-restart', 'sigkill', 'sigterm'] as const;
export type Fault = (typeof FAULTS)[number];

export interface LoadOptions {
  calls: number;
  concurrency: number;
  agents: number;
  seed: number;
  timeScale: number;
  maxTalkSeconds: number;
  fault?: Fault;
  databaseUrl: string;
  redisUrl: string;
  /** Ports: balancer, instance a, instance b, the fake REST API; private PostgreSQL; private Redis. */
  ports: { balancer: number; a: number; b: number; rest: number; pg: number; redis: number };
  /** Real seconds to wait after the last call for settlers and late callbacks. */
  settleSeconds: number;
  /** Real seconds the calls may take to play; past it the run reports the calls still playing as failed. */
  playLimitSeconds: number;
  log(line: string): void;
}

export interface LoadReport {
  lines: string[];
  passed: boolean;
}

const HOTLINE = '+864008001234';
/** Faults strike once this share of the calls is done: calls are in flight on both instances. */
const FAULT_AT = 0.4;
/** The hotline's MAX_CALLER_WAIT_SECONDS (its default), set on the instances and used by the checks. */
const MAX_CALLER_WAIT_SECONDS = 60;
const OUTAGE_SECONDS: Partial<Record<Fault, number>> = { 'redis-stop': 10, 'pg-restart': 4 };

export async function runLoad(o: LoadOptions): Promise<LoadReport> {
  const load = () => loadavg().map((v) => v.toFixed(2)).join(' ');
  const loadBefore = load();
  const accountSid = 'AC' + randomBytes(16).toString('hex');
  const authToken = randomBytes(16).toString('hex');
  const adminToken = 'load-' + randomBytes(16).toString('hex');
  const services = await loadServices({ fault: o.fault, databaseUrl: o.databaseUrl, redisUrl: o.redisUrl, pgPort: o.ports.pg, redisPort: o.ports.redis });
  const logDir = mkdtempSync(join(tmpdir(), 'threering-load-logs-'));
  // Each instance spools to a folder of its own (README: one spool per instance), removed after.
  const spoolRoot = mkdtempSync(join(tmpdir(), 'threering-load-spool-'));
  const spoolDirs = { a: join(spoolRoot, 'a'), b: join(spoolRoot, 'b') };
  const epoch = Date.now();
  const clock = sharedScaledClock(epoch, o.timeScale);
  const rest = new FakeTwilioRest({ accountSid, authToken });
  const balancer = new Balancer([
    { name: 'a', port: o.ports.a },
    { name: 'b', port: o.ports.b },
  ]);
  const instances: Instance[] = [];
  try {
    const restUrl = await rest.listen(o.ports.rest);
    const publicUrl = `http://127.0.0.1:${o.ports.balancer}`;
    const env = {
      DATABASE_URL: services.databaseUrl,
      REDIS_URL: services.redisUrl,
      REDIS_KEY_PREFIX: services.redisKeyPrefix,
      PUBLIC_BASE_URL: publicUrl,
      TWILIO_ACCOUNT_SID: accountSid,
      TWILIO_AUTH_TOKEN: authToken,
      TWILIO_API_BASE_URL: restUrl,
      ADMIN_TOKEN: adminToken,
      LOG_LEVEL: 'warn',
      LOAD_CLOCK_EPOCH_MS: String(epoch),
      LOAD_TIME_SCALE: String(o.timeScale),
      // Generated agents let half their offers go by: with the default (2) every agent would be
      // auto-paused within minutes and the run would measure an empty roster.
      AUTO_PAUSE_AFTER: '50',
      MAX_CALLER_WAIT_SECONDS: String(MAX_CALLER_WAIT_SECONDS),
      WAITING_LINE_SWEEP_SECONDS: '1',
      CALL_SETTLE_SECONDS: '5',
      OUTBOX_RETRY_SECONDS: '2',
      DRAIN_NOTICE_SECONDS: '2',
    };
    o.log(`services: ${services.describe}; logs in ${logDir}`);
    // The first instance migrates the scratch database alone; the second finds it done.
    instances.push(await startInstance('a', o.ports.a, { ...env, SPOOL_DIR: spoolDirs.a }, logDir));
    instances.push(await startInstance('b', o.ports.b, { ...env, SPOOL_DIR: spoolDirs.b }, logDir));
    await balancer.listen(o.ports.balancer);

    const api = async (path: string, init: RequestInit = {}) => {
      const res = await fetch(publicUrl + path, { ...init, headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' } });
      const body = (await res.json()) as any;
      if (res.status >= 300) throw new Error(`${init.method ?? 'GET'} ${path}: ${res.status} ${JSON.stringify(body)}`);
      return body;
    };
    const phones: string[] = [];
    for (let i = 1; i <= o.agents; i++) {
      const agent = await api('/api/agents', { method: 'POST', body: JSON.stringify({ name: `Load agent ${i}`, phone: `+86138009${String(i).padStart(5, '0')}` }) });
      phones.push(agent.phone);
    }

    const delivery = newDeliveryLog();
    const outages: OutageWindow[] = [];
    const faultNotes: string[] = [];
    let faultDone: Promise<void> = Promise.resolve();
    let struck = false;
    let callsDone = 0;
    const progress = progressBar('calls');
    const strike = (fault: Fault) => {
      struck = true;
      const at = clock.now();
      o.log(`fault ${fault} at call-time ${at.toISOString()} (wall ${((Date.now() - epoch) / 1000).toFixed(1)} s)`);
      if (fault === 'sigkill') {
        instances[1]!.process.kill('SIGKILL');
        faultNotes.push('instance b SIGKILLed');
        return;
      }
      if (fault === 'sigterm') {
        instances[1]!.process.kill('SIGTERM');
        faultNotes.push('instance b got SIGTERM');
        return;
      }
      faultDone = services.outage!(OUTAGE_SECONDS[fault]!).then(
        () => {
          outages.push({ from: at, to: clock.now() });
          faultNotes.push(`${fault === 'redis-stop' ? 'Redis' : 'PostgreSQL'} down ${OUTAGE_SECONDS[fault]} s (call-time ${at.toISOString()} to ${clock.now().toISOString()})`);
        },
        (err: Error) => {
          faultNotes.push(`the outage could not be staged: ${err.message}`);
        },
      );
    };

    const started = performance.now();
    const simulation = runSimulation({
      targetUrl: publicUrl,
      publicBaseUrl: publicUrl,
      authToken,
      accountSid,
      hotline: HOTLINE,
      agentPhones: phones,
      calls: o.calls,
      concurrency: o.concurrency,
      seed: o.seed,
      clock,
      maxTalkSeconds: o.maxTalkSeconds,
      network: loadNetwork(o.seed),
      rest,
      wrapTransport: twilioDelivery(delivery, clock, authToken),
      onCallDone: (done, total) => {
        callsDone = done;
        progress(done, total);
        if (o.fault && !struck && done >= Math.floor(total * FAULT_AT)) strike(o.fault);
      },
    });
    // A caller the hotline never moves on (left holding) would keep the run going for ever.
    let limitTimer: NodeJS.Timeout | undefined;
    const result = await Promise.race([
      simulation,
      new Promise<null>((resolve) => (limitTimer = setTimeout(() => resolve(null), o.playLimitSeconds * 1000))),
    ]);
    clearTimeout(limitTimer);
    const stillPlaying = result ? 0 : o.calls - callsDone;
    await faultDone;
    const playSeconds = (performance.now() - started) / 1000;
    const settled = await waitForSettled(services.databaseUrl, [...delivery.arrivals.keys()], Object.values(spoolDirs), o.settleSeconds);
    const loadAfter = load();
    const found = await readRecord(services.databaseUrl, { arrivals: delivery.arrivals, outages, transcripts: result?.transcripts ?? [], maxCallerWaitSeconds: MAX_CALLER_WAIT_SECONDS });

    let exitOk = true;
    if (o.fault === 'sigterm') {
      const { code } = await instances[1]!.exited;
      exitOk = code === 0;
      faultNotes.push(`instance b exited ${code} after draining`);
    }

    const checks: [boolean, string][] = [
      [found.lost.length === 0, `calls lost: ${found.lost.length} of ${found.arrived - found.arrivedDuringOutage} that arrived while the services were up (no row ${found.lostNoRow}, not ended ${found.lostNotEnded})`],
      [found.countedTwice === 0, `outcomes counted twice (calls with two accepted attempts): ${found.countedTwice}`],
      [found.outcomeDiffers === 0, `outcome on record differs from what the caller lived (who left first: src/domain/who-left-first.ts): ${found.outcomeDiffers}`],
      [found.overlappingRings === 0 && (result?.doubleRung.length ?? 0) === 0, `agents rung for two calls at once: ${found.overlappingRings} overlapping legs on record (${found.attemptsWithoutLeg} attempts never rang), ${result?.doubleRung.length ?? 'unknown'} phones rung while on a leg`],
      [delivery.serverErrors === 0 && delivery.notTwiml === 0 && delivery.silence === 0, `webhook answers that were 5xx ${delivery.serverErrors}, not TwiML ${delivery.notTwiml}, none at all ${delivery.silence} (${delivery.fellBack} then played the Voice Fallback URL; of ${delivery.requests}; 4xx ${delivery.clientErrors}; connections retried as Twilio does ${delivery.retried})`],
      [result !== null && result.failedCalls === 0, `calls the simulator could not play to their end: ${result?.failedCalls ?? 'unknown'}; still playing after ${o.playLimitSeconds} s: ${stillPlaying}`],
      [found.effectsUndone === 0, `ended calls whose call-end effects are not done: ${found.effectsUndone}`],
      [found.missedWithoutCallback === 0, `missed calls no callback answers for: ${found.missedWithoutCallback} (of them arrived during the outage: ${found.outageMissedWithoutCallback})`],
      [settled.spooled === 0, `events left in the instances' spools, not written to the database: ${settled.spooled}`],
    ];
    if (o.fault === 'sigterm') checks.push([exitOk, 'the SIGTERMed instance drained and exited 0']);
    if (found.arrivedDuringOutage > 0) checks.push([found.outageNotOnRecord === 0, `calls that arrived during the outage and are not on record as ended: ${found.outageNotOnRecord} of ${found.arrivedDuringOutage}`]);

    // Valid TwiML, but the caller heard the apology instead of an agent: a sign of overload.
    const deadlineFallbacks = instances.map((i) => `${i.name} ${readFileSync(i.logFile, 'utf8').split('webhook missed its deadline').length - 1}`).join(', ');
    const byRoute = delivery.latency;
    const lines = [
      `ThreeRing load${o.fault ? ` with fault ${o.fault}` : ''}: ${o.calls} calls, ${o.concurrency} at a time, ${o.agents} agents, seed ${o.seed}`,
      `time scale ${o.timeScale}×: prompts, rings and talk play ${o.timeScale}× faster than real time (one clock shared by the driver and both instances)`,
      `two instances (a :${o.ports.a}, b :${o.ports.b}) behind a round-robin balancer :${o.ports.balancer}; ${services.describe}`,
      `played in ${playSeconds.toFixed(1)} s wall; after up to ${o.settleSeconds} s of settling, ${settled.spooled} events still spooled and ${settled.open} calls still open; load average ${loadBefore} before, ${loadAfter} after`,
      ...faultNotes.map((n) => `fault: ${n}`),
      result ? `lived: answered ${result.lived.answered}, missed ${result.lived.missed}, abandoned ${result.lived.abandoned}, rated ${result.rated}` : 'lived: unknown (the run hit its time limit; outcomes are not compared)',
      `on record: ${Object.entries(found.onRecord).map(([k, v]) => `${k} ${v}`).join(', ')}` +
        ` (${found.hungUpWhenTurnedAway} callers hung up while being turned away: a hang-up they lived, missed on record by the who-left-first rule)`,
      `first offers per agent: max ${found.firstOffers.max}, min ${found.firstOffers.min} over ${found.firstOffers.agents} agents`,
      `balancer: answered by a ${balancer.stats.answered.a}, by b ${balancer.stats.answered.b}; redelivered to the other instance ${balancer.stats.redelivered}; undelivered ${balancer.stats.undelivered}`,
      `answered with the fallback at WEBHOOK_DEADLINE_SECONDS (instance logs): ${deadlineFallbacks}`,
      'checks:',
      ...checks.map(([ok, what]) => `  ${ok ? 'ok  ' : 'FAIL'} ${what}`),
      'webhook latency as Twilio saw it, through the balancer (ms): route  n  p50  p99',
      ...[...byRoute].sort().map(([route, ms]) => `  ${route}  ${ms.length}  ${percentile(ms, 50)!.toFixed(0)}  ${percentile(ms, 99)!.toFixed(0)}`),
      ...delivery.examples.map((e) => `answer: ${e}`),
      ...(result?.errors ?? []).slice(0, 6).map((e) => `simulator: ${e}`),
      ...found.lost.slice(0, 5).map((sid) => `lost: ${sid}`),
      ...found.overlapExamples.map((e) => `overlap: ${e}`),
      ...found.outcomeExamples.map((e) => `outcome: ${e}`),
    ];
    return { lines, passed: checks.every(([ok]) => ok) };
  } finally {
    await Promise.all(instances.map((i) => stopInstance(i)));
    await balancer.close();
    await rest.close();
    // LOAD_KEEP=1 keeps the scratch database and the Redis keys to look into after a failed run
    // (a fault run's private services are still removed: they would hold the ports).
    if (process.env.LOAD_KEEP && !services.outage) o.log(`kept for a look: ${services.describe} (drop it when done)`);
    else await services.release().catch((err: Error) => o.log(`cleaning up the services failed: ${err.message}`));
    rmSync(spoolRoot, { recursive: true, force: true });
  }
}
