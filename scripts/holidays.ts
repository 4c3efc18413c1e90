/**
 * Loads a year of holidays and make-up workdays (调休) into the database:
 *   npm run holidays -- load docs/holidays/2026.json
 * The file is the JSON of GET/PUT /api/holidays (README "Holidays and 调休"); the year it names
 * is replaced whole. A running server picks the change up within a minute. With the embedded
 * database, stop the server first (PGlite opens its folder in one process only), or PUT the file.
 */
import { readFileSync } from 'node:fs';
import { loadConfig } from '../src/config';
import { systemClock } from '../src/domain/clock';
import { AppError } from '../src/errors';
import { checkedYear } from '../src/holidays/holiday-routes';
import { PostgresAuditStore } from '../src/postgres/audit-store';
import { pgDb, pgliteDb } from '../src/postgres/db';
import { PostgresHolidayStore } from '../src/postgres/holiday-store';
import { migrate } from '../src/postgres/migrate';

const USAGE = 'usage: npm run holidays -- load FILE.json';

async function main() {
  const [verb, file] = process.argv.slice(2);
  if (verb !== 'load' || !file) throw new Error(USAGE);
  const body = JSON.parse(readFileSync(file, 'utf8')) as { year?: unknown };
  if (typeof body.year !== 'number') throw new Error(`${file}: "year" must be a number such as 2026`);
  const days = checkedYear(body.year, body);
  const config = loadConfig();
  const db = config.DATABASE_URL ? pgDb(config.DATABASE_URL, 1) : await pgliteDb(config.PGLITE_DATA_DIR);
  try {
    await migrate(db);
    await new PostgresHolidayStore(db).replaceYear(body.year, days, systemClock.now());
    await new PostgresAuditStore(db).record({ actor: 'command-line', action: 'holidays.year-replaced', target: `holidays:${body.year}`, detail: { file, days: days.length }, at: systemClock.now() });
    const count = (kind: string) => days.filter((d) => d.kind === kind).length;
    process.stdout.write(`loaded ${body.year}: ${count('holiday')} holidays, ${count('workday')} make-up workdays\n`);
  } finally {
    await db.close();
  }
}

main().catch((err) => {
  process.stderr.write(`holidays: ${err instanceof AppError || err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
