/**
 * A new call's first record written one statement each against group commit (src/postgres/group-commit.ts),
 * on real PostgreSQL, with `concurrency` writers always waiting for their row, as that many
 * webhooks in flight would:
 *
 *   BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres npx tsx scripts/bench-new-calls.ts [--calls 8000] [--concurrency 16] [--rounds 2]
 *
 * Each round runs both ways in turn and prints rows a second and the CPU time PostgreSQL and this
 * process spent a row (from /proc). A scratch database is created and dropped.
 */
import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import { pgDb } from '../src/postgres/db';
import { migrate } from '../src/postgres/migrate';
import { NewCalls } from '../src/postgres/new-calls';
import { countCpu, pidsNamed, type CpuTimes } from './process-cpu';
import { createScratchDatabase } from './scratch-database';

async function main() {
  const { values } = parseArgs({ options: { calls: { type: 'string', default: '8000' }, concurrency: { type: 'string', default: '16' }, rounds: { type: 'string', default: '2' } } });
  const calls = Math.min(Number(values.calls), 100_000);
  const concurrency = Math.min(Number(values.concurrency), 64);
  const scratch = await createScratchDatabase(process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres', 'bench');
  const db = pgDb(scratch.url, concurrency + 2);
  try {
    await migrate(db);
    const ways = {
      'one statement each': new NewCalls(db, { maxInFlight: concurrency, maxBatch: 1 }),
      'group commit (as the server)': new NewCalls(db),
    };
    const perRow = (t: CpuTimes | undefined) => (t ? ((t.user + t.system) / calls).toFixed(3) : '-');
    process.stdout.write(`| way | rows/s (${concurrency} writers) | PostgreSQL CPU ms a row | client CPU ms a row |\n|---|---|---|---|\n`);
    for (let round = 0; round < Number(values.rounds); round++) {
      for (const [way, newCalls] of Object.entries(ways)) {
        const cpu = countCpu({ postgres: () => pidsNamed('postgres'), client: () => [process.pid] });
        const started = performance.now();
        let n = 0;
        await Promise.all(
          Array.from({ length: concurrency }, async () => {
            while (n++ < calls) {
              const now = new Date();
              await newCalls.create({ callSid: 'CA' + randomBytes(16).toString('hex'), from: '+8613900000001', to: '+864008001234', callerName: null, startedAt: now, waitingSince: now }, n);
            }
          }),
        );
        const seconds = (performance.now() - started) / 1000;
        const spent = cpu.stop();
        process.stdout.write(`| ${way} | ${(calls / seconds).toFixed(0)} | ${perRow(spent.postgres)} | ${perRow(spent.client)} |\n`);
      }
    }
  } finally {
    await db.close();
    await scratch.drop();
  }
}

main().catch((err) => {
  process.stderr.write(`bench-new-calls: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
