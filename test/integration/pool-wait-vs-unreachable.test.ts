import { createServer, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import { pgDb } from '../../src/postgres/db';
import { isDatabaseUnreachable, isPassingFailure } from '../../src/postgres/database-unreachable';

const url = process.env.DATABASE_URL;

/** A server that takes TCP connections and never says a word: a database that hangs on connect. */
function silentServer(): Promise<{ port: number; close: () => Promise<void> }> {
  const sockets: Socket[] = [];
  const server: Server = createServer((s) => sockets.push(s));
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () =>
      resolve({
        port: (server.address() as AddressInfo).port,
        close: () => new Promise((done) => {
          for (const s of sockets) s.destroy();
          server.close(() => done());
        }),
      }),
    ),
  );
}

describe('a busy pool is not a dead database', () => {
  const closers: (() => Promise<void>)[] = [];
  afterAll(async () => {
    for (const close of closers) await close();
  });

  it('a connection the server never completes fails as unreachable, within the connect time limit', async () => {
    const silent = await silentServer();
    closers.push(silent.close);
    const db = pgDb(`postgres://postgres@127.0.0.1:${silent.port}/postgres`, 2);
    closers.push(() => db.close());
    const err = await db.query('SELECT 1').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Error);
    expect(isDatabaseUnreachable(err)).toBe(true);
  });

  it.runIf(url)('a query that waited for a free connection of a full pool fails, but not as unreachable', async () => {
    const db = pgDb(url!, 1, { poolWaitMs: 300 });
    closers.push(() => db.close());
    const holding = db.query('SELECT pg_sleep(1.5)');
    const err = await db.query('SELECT 1').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Error);
    expect(isDatabaseUnreachable(err)).toBe(false);
    // It passes all the same: the spool's replay keeps an event that failed so and tries it again.
    expect(isPassingFailure(err)).toBe(true);
    await holding;
    // The pool is free again: the database was never down.
    expect(await db.query<{ one: number }>('SELECT 1 AS one')).toEqual([{ one: 1 }]);
  });
});
