/**
 * npm run load -- [--calls 1000] [--concurrency 50] [--agents 40] [--seed 1] [--time-scale 10] [--fault <name>]
 *                  [--port 3101] [--pg-port 5445] [--redis-port 6395]
 *
 * Two server instances (separate Node processes) sharing one PostgreSQL and one Redis, behind a
 * round-robin balancer, carrying generated calls through the built-in Twilio model; then checks
 * what the database holds. Fault runs: redis-stop, pg-restart, sigkill, sigterm. Exits 1 when a
 * check fails. README, "Load and fault runs".
 */
import { parseArgs } from 'node:util';
import { FAULTS, runLoad, type Fault } from './load/load-run';

async function main() {
  const { values } = parseArgs({
    options: {
      calls: { type: 'string', default: '1000' },
      concurrency: { type: 'string', default: '50' },
      agents: { type: 'string', default: '40' },
      seed: { type: 'string', default: '1' },
      'time-scale': { type: 'string', default: '10' },
      'max-talk': { type: 'string', default: '30' },
      'settle-seconds': { type: 'string', default: '90' },
      'play-limit-seconds': { type: 'string', default: '900' },
      fault: { type: 'string' },
      // The balancer's port; the instances and the fake REST API take the next three.
      port: { type: 'string', default: '3101' },
      'pg-port': { type: 'string', default: '5445' },
      'redis-port': { type: 'string', default: '6395' },
    },
    strict: true,
  });
  const whole = (name: keyof typeof values, min: number) => {
    const n = Number(values[name]);
    if (!Number.isInteger(n) || n < min) throw new Error(`--${name}: must be a whole number of at least ${min}`);
    return n;
  };
  const fault = values.fault as Fault | undefined;
  if (fault !== undefined && !FAULTS.includes(fault)) throw new Error(`--fault: one of ${FAULTS.join(', ')}`);
  const port = whole('port', 1);
  const report = await runLoad({
    calls: whole('calls', 1),
    concurrency: whole('concurrency', 1),
    agents: whole('agents', 1),
    seed: whole('seed', 0),
    timeScale: whole('time-scale', 1),
    maxTalkSeconds: whole('max-talk', 11),
    settleSeconds: whole('settle-seconds', 0),
    playLimitSeconds: whole('play-limit-seconds', 1),
    fault,
    databaseUrl: process.env.LOAD_DATABASE_URL ?? process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres',
    redisUrl: process.env.LOAD_REDIS_URL ?? process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
    ports: { balancer: port, a: port + 1, b: port + 2, rest: port + 3, pg: whole('pg-port', 1), redis: whole('redis-port', 1) },
    log: (line) => process.stderr.write(`${line}\n`),
  });
  // Callers left playing past the time limit would keep the process alive: exit once printed.
  process.stdout.write(report.lines.join('\n') + '\n', () => process.exit(report.passed ? 0 : 1));
}

main().catch((err) => {
  process.stderr.write(`load: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
