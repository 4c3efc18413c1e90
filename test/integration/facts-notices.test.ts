import { createServer, connect as tcpConnect, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { Client } from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pgDb } from '../../src/postgres/db';
import { FactsCache } from '../../src/postgres/facts-cache';
import { freshDatabase, realDatabaseUrl, type TestDatabase } from '../support/backends';

/**
 * A TCP relay to the database that can go silent: while frozen it passes nothing either way and
 * closes nothing, as a network cut looks to both ends.
 */
async function freezableRelay(target: URL): Promise<{ port: number; freeze(on: boolean): void; close(): Promise<void> }> {
  const sockets: Socket[] = [];
  let frozen = false;
  const server = createServer((inbound) => {
    const outbound = tcpConnect(Number(target.port || 5432), target.hostname);
    sockets.push(inbound, outbound);
    for (const [from, to] of [[inbound, outbound], [outbound, inbound]] as const) {
      from.on('data', (d) => {
        if (!frozen) to.write(d);
      });
      from.on('error', () => to.destroy());
      from.on('close', () => to.destroy());
    }
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    port: (server.address() as AddressInfo).port,
    freeze: (on) => {
      frozen = on;
    },
    close: () =>
      new Promise((r) => {
        for (const x of sockets) x.destroy();
        server.close(() => r());
      }),
  };
}

/** Waits until `check` holds, up to `ms`. */
async function until(check: () => boolean, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 20));
  }
}

// Real PostgreSQL only: PGlite serves one process, whose own writes clear its cache directly.
describe.runIf(realDatabaseUrl)('change notices for the cached facts (migration 0019)', () => {
  let t: TestDatabase;
  let other: Client;
  let stop: () => Promise<void>;
  const notices: string[] = [];
  const ups: boolean[] = [];
  const facts = new FactsCache();

  beforeAll(async () => {
    t = await freshDatabase();
    stop = t.db.listen!('threering_facts', {
      notice: (payload) => {
        notices.push(payload);
        facts.invalidate();
      },
      up: (up) => {
        ups.push(up);
        facts.noticesUp(up);
      },
    });
    // Another instance's connection, writing as the stores do.
    other = new Client({ connectionString: t.url });
    await other.connect();
    await until(() => ups.includes(true));
  });

  afterAll(async () => {
    await stop?.();
    await other?.end();
    await t?.drop();
  });

  it('announces a committed change to a fact table, once per table and transaction, and not the bookkeeping no fact reads', async () => {
    const [agent] = (await other.query(`INSERT INTO agents (name, phone, position) VALUES ('Agent A', '+8613800000001', 1) RETURNING id`)).rows;
    await until(() => notices.length === 1);
    expect(notices).toEqual(['agents']);
    await other.query('UPDATE agents SET missed_offers = missed_offers + 1 WHERE id = $1', [agent.id]);
    // The roster's minute loop, finding no leave begun: a statement that changes no row.
    await other.query('UPDATE leaves SET callbacks_moved_at = now() WHERE callbacks_moved_at IS NULL AND start_at <= now() AND end_at > now()');
    await other.query('BEGIN');
    await other.query(`INSERT INTO internal_numbers (pattern, name, added_by, created_at) VALUES ('+8610*', 'office', 'admin', now())`);
    await other.query(`INSERT INTO internal_numbers (pattern, name, added_by, created_at) VALUES ('+8621*', 'office', 'admin', now())`);
    // Not yet: a notice is sent when the change commits.
    await new Promise((r) => setTimeout(r, 200));
    expect(notices).toEqual(['agents']);
    await other.query('COMMIT');
    // Notices come in commit order, so the missed-offers and leaves updates (committed first) sent none.
    await until(() => notices.length === 2);
    expect(notices).toEqual(['agents', 'internal_numbers']);
    await other.query('UPDATE agents SET paused = true WHERE id = $1', [agent.id]);
    await until(() => notices.length === 3);
    expect(notices[2]).toBe('agents');
  });

  it('keeps a fact while nothing changes, and reads it again after a change made elsewhere', async () => {
    let reads = 0;
    const load = async () => {
      reads++;
      return (await t.db.query<{ n: string }>('SELECT COUNT(*) AS n FROM agents WHERE active AND NOT paused'))[0]!.n;
    };
    const t0 = Date.now();
    const at = (ms: number) => new Date(t0 + ms);
    expect(await facts.read('agents', at(0), load)).toBe('0');
    for (const ms of [1600, 3200, 4800]) expect(await facts.read('agents', at(ms), load)).toBe('0');
    expect(reads).toBe(1);
    const before = notices.length;
    await other.query(`INSERT INTO agents (name, phone, position) VALUES ('Agent B', '+8613800000002', 2)`);
    await until(() => notices.length > before);
    expect(await facts.read('agents', at(4900), load)).toBe('1');
    expect(reads).toBe(2);
  });

  it('notices a listening connection gone silent by its heartbeat, and listens again once the network is back', async () => {
    const relay = await freezableRelay(new URL(t.url!));
    const viaRelay = new URL(t.url!);
    viaRelay.hostname = '127.0.0.1';
    viaRelay.port = String(relay.port);
    const db = pgDb(viaRelay.toString(), 1, { listenTiming: { heartbeatMs: 200, heartbeatWaitMs: 1_000 } });
    const seen: boolean[] = [];
    const got: string[] = [];
    const stopListening = db.listen!('threering_facts', { notice: (p) => got.push(p), up: (up) => seen.push(up) });
    try {
      await until(() => seen.includes(true));
      // Heartbeats go on while the connection is alive: no false alarm, and none is passed on.
      await new Promise((r) => setTimeout(r, 800));
      expect(seen).toEqual([true]);
      expect(got.filter((p) => p.startsWith('heartbeat'))).toEqual([]);
      relay.freeze(true);
      await until(() => seen.length === 2);
      expect(seen).toEqual([true, false]);
      relay.freeze(false);
      await until(() => seen.length === 3);
      expect(seen).toEqual([true, false, true]);
      // Stopping does not wait on a connection gone silent (a shutdown would hang on it).
      relay.freeze(true);
      await stopListening();
    } finally {
      await stopListening();
      await db.close();
      await relay.close();
    }
  });

  it('listens again after its connection is lost, saying when notices stopped and when they came back', async () => {
    const [listener] = (
      await other.query(`SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND query = 'LISTEN threering_facts'`)
    ).rows;
    expect(listener).toBeDefined();
    const upsBefore = ups.length;
    await other.query('SELECT pg_terminate_backend($1)', [listener.pid]);
    await until(() => ups.length >= upsBefore + 2);
    expect(ups.slice(upsBefore)).toEqual([false, true]);
    const before = notices.length;
    await other.query(`INSERT INTO shifts (agent_id, kind, start_at, end_at, created_at) SELECT id, 'on', now(), now() + interval '1 hour', now() FROM agents LIMIT 1`);
    await until(() => notices.length > before);
    expect(notices.at(-1)).toBe('shifts');
  });
});
