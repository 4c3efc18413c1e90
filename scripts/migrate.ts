/** Applies pending migrations to DATABASE_URL (or the embedded database) and exits. */
import { loadConfig } from '../src/config';
import { pgDb, pgliteDb } from '../src/postgres/db';
import { migrate } from '../src/postgres/migrate';

async function main() {
  const config = loadConfig();
  const db = config.DATABASE_URL ? pgDb(config.DATABASE_URL, 1) : await pgliteDb(config.PGLITE_DATA_DIR);
  const applied = await migrate(db);
  process.stdout.write(applied.length ? `applied ${applied.join(', ')}\n` : 'nothing to apply\n');
  await db.close();
}

main().catch((err) => {
  process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
