import { migrate } from '../src/postgres/migrate';
import { pgliteDb } from '../src/postgres/db';
import { PostgresNotifyStore } from '../src/postgres/notify-store';

/**
 * What the ring card costs beside an offer: the one INSERT … SELECT (customer file, last 3 calls,
 * open complaint and callback) timed on an embedded database holding CALLS calls from NUMBERS
 * callers. Usage: tsx scripts/measure-ring-card.ts [calls] [numbers] [runs]
 */
async function main() {
  const [calls = 100_000, numbers = 10_000, runs = 500] = process.argv.slice(2).map(Number);
  const db = await pgliteDb();
  await migrate(db);
  const [agent] = await db.query<{ id: string }>(`INSERT INTO agents (name, phone, position) VALUES ('a', 'sip:1@x.cn', 1) RETURNING id`);
  const [channel] = await db.query<{ id: string }>(`INSERT INTO notify_channels (kind, name, secrets, created_at) VALUES ('wecom-robot', 'g', '{"key":"k"}', now()) RETURNING id`);
  await db.query(`INSERT INTO agent_notify (agent_id, channel, mobile, updated_at) VALUES ($1, $2, '+8613800000001', now())`, [agent!.id, channel!.id]);
  await db.query(
    `INSERT INTO calls (call_sid, from_number, to_number, started_at, rotation_offset, state, outcome)
     SELECT 'CA' || lpad(i::text, 32, '0'), '+86139' || lpad((i % $2)::text, 8, '0'), '+864008001234', now() - (i || ' minutes')::interval, i, 'ended', 'answered'
       FROM generate_series(1, $1) i`,
    [calls, numbers],
  );
  await db.query(`INSERT INTO customers (phone, name, created_at, updated_at) SELECT '+86139' || lpad(i::text, 8, '0'), 'n' || i, now(), now() FROM generate_series(0, $1 - 1) i`, [numbers]);
  await db.query('ANALYZE');
  const store = new PostgresNotifyStore(db);
  const [call] = await db.query<{ id: string }>('SELECT id FROM calls LIMIT 1');
  const ms: number[] = [];
  for (let i = 0; i < runs; i++) {
    const from = '+86139' + String(i % numbers).padStart(8, '0');
    const t = process.hrtime.bigint();
    await store.enqueueRingCard(agent!.id, call!.id, from, new Date());
    ms.push(Number(process.hrtime.bigint() - t) / 1e6);
  }
  ms.sort((a, b) => a - b);
  const at = (p: number) => ms[Math.min(ms.length - 1, Math.floor((p / 100) * ms.length))]!.toFixed(2);
  console.log(JSON.stringify({ calls, numbers, runs, p50ms: at(50), p95ms: at(95), maxMs: ms.at(-1)!.toFixed(2) }));
  await db.close();
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
