import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { pgliteDb } from '../../src/postgres/db';

// A fresh clone has no ./data: the default PGLITE_DATA_DIR (./data/pglite) is two folders deep.
describe('the embedded database folder', () => {
  const tmp = mkdtempSync(join(tmpdir(), 'threering-pglite-'));
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));

  it('is created with every missing parent, and the database opens', async () => {
    const dir = join(tmp, 'nested', 'data', 'pglite');
    const db = await pgliteDb(dir);
    try {
      expect(await db.query('SELECT 1 AS one')).toEqual([{ one: 1 }]);
    } finally {
      await db.close();
    }
    expect(statSync(dir).isDirectory()).toBe(true);
  }, 60_000); // a first open on disk runs initdb: seconds, more on a busy CI machine

  it('cannot be created under a regular file, and the error says which setting, where and why', async () => {
    const file = join(tmp, 'not-a-folder');
    writeFileSync(file, '');
    const dir = join(file, 'data', 'pglite');
    const error = await pgliteDb(dir).then(
      () => undefined,
      (err: unknown) => err as Error,
    );
    expect(error).toBeInstanceOf(Error);
    expect(error?.message).toContain('PGLITE_DATA_DIR');
    expect(error?.message).toContain(dir);
    expect(error?.message).toMatch(/ENOTDIR|EEXIST/);
  });
});
