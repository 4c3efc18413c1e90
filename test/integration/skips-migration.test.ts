import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PostgresAgentStore } from '../../src/postgres/agent-store';
import { PostgresCallStore } from '../../src/postgres/call-store';
import { migrate, migrationFiles } from '../../src/postgres/migrate';
import { freshDatabase, type TestDatabase } from '../support/backends';

const MIGRATIONS = path.join(__dirname, '../../src/postgres/migrations');

/** Migration 0021 moves the rows of call_skips into the compact record, and the calls still say why. */
describe('moving call_skips to the compact record (migration 0021)', () => {
  let t: TestDatabase;
  let before: string;

  beforeAll(async () => {
    // The schema as it was before 0021.
    before = mkdtempSync(path.join(tmpdir(), 'threering-migrations-'));
    for (const f of migrationFiles(MIGRATIONS).filter((m) => m.name < '0021')) copyFileSync(path.join(MIGRATIONS, f.name), path.join(before, f.name));
    t = await freshDatabase(before);
  });
  afterAll(async () => {
    await t?.drop();
    rmSync(before, { recursive: true, force: true });
  });

  it('keeps each call its passed-over agents and the first reason of each', async () => {
    const agents = new PostgresAgentStore(t.db);
    const calls = new PostgresCallStore(t.db);
    const ids = [];
    for (let i = 0; i < 4; i++) ids.push((await agents.create({ name: `A${i}`, phone: `+861380000000${i}` })).id);
    const startedAt = new Date('2026-11-23T02:00:00Z');
    const call = async (n: number) => (await calls.createCall({ callSid: 'CA' + String(n).repeat(32), from: '+8613911112222', to: '+864008001234', callerName: null, startedAt }, n)).call.id;
    const [one, two, three] = [await call(1), await call(2), await call(3)];
    const at = (s: number) => new Date(startedAt.getTime() + s * 1000);
    const rows: [string, string, string, Date][] = [
      [one, ids[0]!, 'off-duty', at(1)],
      [one, ids[1]!, 'paused', at(1)],
      [one, ids[2]!, 'busy', at(1)],
      [one, ids[3]!, 'busy', at(4)],
      [two, ids[0]!, 'off-duty', at(2)],
      [two, ids[1]!, 'paused', at(2)],
      [three, ids[3]!, 'on-leave', at(3)],
    ];
    for (const r of rows) await t.db.query('INSERT INTO call_skips (call_id, agent_id, reason, at) VALUES ($1, $2, $3, $4)', r);
    const expected = new Map<string, { agentId: string; reason: string }[]>();
    for (const [c, agentId, reason] of [...rows].sort((a, b) => a[3].getTime() - b[3].getTime() || (a[1] < b[1] ? -1 : 1))) {
      expected.set(c, [...(expected.get(c) ?? []), { agentId, reason }]);
    }

    expect(await migrate(t.db, MIGRATIONS)).toEqual(migrationFiles(MIGRATIONS).filter((m) => m.name >= '0021').map((m) => m.name));

    expect(await calls.skipsOfCalls([one, two, three])).toEqual(expected);
    // Calls one and two shared the same roster list: it is kept once.
    const [sets] = await t.db.query<{ n: string }>('SELECT count(*) AS n FROM skip_sets');
    expect(Number(sets?.n)).toBe(2);
    expect(await t.db.query("SELECT 1 FROM pg_tables WHERE tablename = 'call_skips'")).toEqual([]);
  });
});
