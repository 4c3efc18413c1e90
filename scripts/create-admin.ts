/**
 * Creates a console account: npm run create-admin -- --username NAME --role admin
 * The password comes from ADMIN_PASSWORD, or is asked for (not echoed) on a terminal.
 * With DATABASE_URL the account is written to the shared database and can sign in at once, while
 * the server runs. With the embedded database (PGlite) only one process can open its folder: while
 * the server holds it this refuses, and says how to add the account instead.
 */
import { createInterface } from 'node:readline';
import { Writable } from 'node:stream';
import { parseArgs } from 'node:util';
import { loadConfig } from '../src/config';
import { AccountService, MIN_PASSWORD } from '../src/console/account-service';
import { systemClock } from '../src/domain/clock';
import { ROLES } from '../src/domain/console-roles';
import { AppError } from '../src/errors';
import { PostgresAccountStore } from '../src/postgres/account-store';
import { PostgresAuditStore } from '../src/postgres/audit-store';
import { DataDirInUse } from '../src/postgres/data-dir-lock';
import { pgDb, pgliteDb } from '../src/postgres/db';
import { migrate } from '../src/postgres/migrate';

/** Asks on the terminal without echoing what is typed; reads one line when stdin is a pipe. */
async function askPassword(question: string): Promise<string> {
  let muted = false;
  const output = new Writable({
    write(chunk, _enc, done) {
      if (!muted) process.stderr.write(chunk);
      done();
    },
  });
  const rl = createInterface({ input: process.stdin, output, terminal: process.stdin.isTTY });
  process.stderr.write(question);
  muted = true;
  const answer = await new Promise<string>((resolve) => rl.question('', resolve));
  rl.close();
  process.stderr.write('\n');
  return answer;
}

/** The embedded database, or a refusal that says why and what to do instead while a server holds it. */
async function openEmbedded(dataDir: string, baseUrl: string) {
  try {
    return await pgliteDb(dataDir);
  } catch (err) {
    if (!(err instanceof DataDirInUse)) throw err;
    throw new Error(
      [
        `not created: ${err.message}.`,
        'An account written from here would not be seen by that server until it restarts, and could be lost.',
        `Instead, either add it in the console while the server runs: sign in as an admin, ${baseUrl}/console/accounts;`,
        `or stop the server (process ${err.pid}), run this again, and start the server.`,
        'With DATABASE_URL (PostgreSQL) this command works while the server runs.',
      ].join('\n  '),
    );
  }
}

async function main() {
  const { values } = parseArgs({ options: { username: { type: 'string' }, role: { type: 'string', default: 'admin' } }, strict: true });
  if (!values.username) throw new Error(`usage: npm run create-admin -- --username NAME --role ${ROLES.join('|')}`);
  const config = loadConfig();
  let password = process.env.ADMIN_PASSWORD ?? '';
  if (!password) {
    password = await askPassword(`Password for ${values.username} (at least ${MIN_PASSWORD} characters): `);
    if (process.stdin.isTTY && password !== (await askPassword('Again: '))) throw new Error('the two passwords differ');
  }
  const db = config.DATABASE_URL ? pgDb(config.DATABASE_URL, 1) : await openEmbedded(config.PGLITE_DATA_DIR, config.PUBLIC_BASE_URL);
  try {
    await migrate(db);
    const service = new AccountService({ accounts: new PostgresAccountStore(db), clock: systemClock, sessionHours: config.CONSOLE_SESSION_HOURS });
    const account = await service.create(values.username, password, values.role ?? 'admin');
    await new PostgresAuditStore(db).record({ actor: 'command-line', action: 'account.create', target: account.id, detail: { username: account.username, role: account.role }, at: systemClock.now() });
    process.stdout.write(`created ${account.role} ${account.username}; sign in at ${config.PUBLIC_BASE_URL}/console/\n`);
  } finally {
    await db.close();
  }
}

main().catch((err) => {
  process.stderr.write(`create-admin: ${err instanceof AppError || err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
