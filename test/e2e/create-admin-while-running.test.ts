import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startInProcessServer, type RunningServer } from '../../src/simulator/in-process-server';
import { freshDatabase, realDatabaseUrl } from '../support/backends';

const PASSWORD = 'a-long-enough-password';

/** `npm run create-admin` as an operator runs it: a process of its own, the password from ADMIN_PASSWORD. */
function createAdmin(username: string, env: Record<string, string>): Promise<{ code: number | null; out: string; err: string }> {
  const base = { ...process.env };
  delete base.DATABASE_URL;
  return new Promise((resolve) => {
    const child = spawn(join('node_modules', '.bin', 'tsx'), ['scripts/create-admin.ts', '--username', username, '--role', 'admin'], {
      env: { ...base, ADMIN_PASSWORD: PASSWORD, LOG_LEVEL: 'error', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (c) => (out += c));
    child.stderr.on('data', (c) => (err += c));
    child.on('close', (code) => resolve({ code, out, err }));
  });
}

/** Signs in through the console's form, as a browser does; the status says whether it worked (303) or not (401). */
async function signIn(server: RunningServer, username: string): Promise<number> {
  const form = await fetch(`${server.url}/console/sign-in`);
  const cookie = form.headers.getSetCookie()[0]!.split(';')[0]!;
  const csrf = /name="_csrf" value="([^"]+)"/.exec(await form.text())![1]!;
  const res = await fetch(`${server.url}/console/sign-in`, {
    method: 'POST',
    redirect: 'manual',
    headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ _csrf: csrf, username, password: PASSWORD }).toString(),
  });
  return res.status;
}

describe('npm run create-admin while the server runs', () => {
  const dir = mkdtempSync(join(tmpdir(), 'threering-create-admin-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('on the embedded database, refuses and says how instead; once the server is stopped, the account signs in', async () => {
    const env = { PGLITE_DATA_DIR: join(dir, 'pglite') };
    let server = await startInProcessServer(env);
    try {
      const refused = await createAdmin('night.lead', env);
      expect(refused.code).toBe(1);
      expect(refused.out).toBe('');
      expect(refused.err).toContain(`open in process ${process.pid}`);
      expect(refused.err).toContain('/console/accounts');
      expect(refused.err).toContain('stop the server');
      expect(await signIn(server, 'night.lead')).toBe(401);
    } finally {
      await server.close();
    }

    const created = await createAdmin('night.lead', env);
    expect(created.err).toBe('');
    expect(created.code).toBe(0);
    expect(created.out).toContain('created admin night.lead');

    server = await startInProcessServer(env);
    try {
      expect(await signIn(server, 'night.lead')).toBe(303);
    } finally {
      await server.close();
    }
  }, 120_000);

  it.skipIf(!realDatabaseUrl)('on PostgreSQL, writes to the shared database and the account signs in at once', async () => {
    const database = await freshDatabase();
    const env = { DATABASE_URL: database.url! };
    const server = await startInProcessServer(env);
    try {
      expect(await signIn(server, 'day.lead')).toBe(401);
      const created = await createAdmin('day.lead', env);
      expect(created.code).toBe(0);
      expect(await signIn(server, 'day.lead')).toBe(303);
    } finally {
      await server.close();
      await database.drop();
    }
  }, 120_000);
});
