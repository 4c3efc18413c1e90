import { localDayStart } from '../src/domain/whisper-flags';
import { migrate } from '../src/postgres/migrate';
import { pgliteDb } from '../src/postgres/db';
import { PostgresWhisperFlagStore } from '../src/postgres/whisper-flag-store';

/**
 * What the whisper's read of the caller's record costs as the agent picks up (the one statement:
 * an open complaint case, a call missed earlier today), timed on an embedded database holding
 * CALLS calls from NUMBERS callers, one in 5 missed, one caller in 20 with an open case.
 * Usage: tsx scripts/measure-whisper-flags.ts [calls] [numbers] [runs]
 */
async function main() {
  const [calls = 100_000, numbers = 10_000, runs = 500] = process.argv.slice(2).map(Number);
  const db = await pgliteDb();
  await migrate(db);
  await db.query(
    `INSERT INTO calls (call_sid, from_number, to_number, started_at, rotation_offset, state, outcome)
     SELECT 'CA' || lpad(i::text, 32, '0'), '+86139' || lpad((i % $2)::text, 8, '0'), '+864008001234', now() - (i || ' minutes')::interval, i, 'ended',
            CASE WHEN i % 5 = 0 THEN 'missed' ELSE 'answered' END
       FROM generate_series(1, $1) i`,
    [calls, numbers],
  );
  await db.query(
    `INSERT INTO complaint_cases (phone, hotline_number, opened_at, reply_due_at, remind_at)
     SELECT '+86139' || lpad(i::text, 8, '0'), '+864008001234', now(), now() + interval '30 minutes', now() + interval '20 minutes'
       FROM generate_series(0, $1 - 1, 20) i`,
    [numbers],
  );
  await db.query('ANALYZE');
  const store = new PostgresWhisperFlagStore(db);
  const [call] = await db.query<{ id: string }>('SELECT id FROM calls LIMIT 1');
  const now = new Date();
  const dayStart = localDayStart(now, 'Asia/Shanghai');
  const ms: number[] = [];
  let flagged = 0;
  for (let i = 0; i < runs; i++) {
    const from = '+86139' + String((i * 7) % numbers).padStart(8, '0');
    const t = process.hrtime.bigint();
    const f = await store.flagsOf(from, call!.id, now, dayStart);
    ms.push(Number(process.hrtime.bigint() - t) / 1e6);
    if (f.openComplaint || f.missedToday) flagged++;
  }
  ms.sort((a, b) => a - b);
  const at = (p: number) => ms[Math.min(ms.length - 1, Math.floor((p / 100) * ms.length))]!.toFixed(2);
  console.log(JSON.stringify({ calls, numbers, runs, flagged, p50ms: at(50), p95ms: at(95), maxMs: ms.at(-1)!.toFixed(2) }));
  await db.close();
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
