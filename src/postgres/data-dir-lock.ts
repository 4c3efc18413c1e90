import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * PGlite runs the whole database inside the process that opens it: a second process opening the
 * same folder gets its own copy of the pages, so what it writes is never seen by the first (and
 * the first may overwrite it). The folder therefore carries a pid file while one process holds
 * it, and a second process refuses to open it while that process is alive.
 */
export const PID_FILE = 'threering.pid';

export class DataDirInUse extends Error {
  constructor(
    readonly folder: string,
    readonly pid: number,
  ) {
    super(`the embedded database in ${folder} is open in process ${pid} (a running ThreeRing server?); PGlite lets one process use it at a time`);
    this.name = 'DataDirInUse';
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: the process exists but belongs to someone else.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The process holding `folder`, if one is alive (a pid file left by a crash does not count). */
export function dataDirHolder(folder: string): number | null {
  let text: string;
  try {
    text = readFileSync(join(folder, PID_FILE), 'utf8');
  } catch {
    return null;
  }
  const pid = Number.parseInt(text, 10);
  return Number.isInteger(pid) && pid > 0 && alive(pid) ? pid : null;
}

/**
 * Marks `folder` as held by this process and returns the release. Throws DataDirInUse when another
 * live process holds it, or when this process already does (two PGlite instances on one folder
 * disagree just the same).
 */
export function holdDataDir(folder: string): () => void {
  const holder = dataDirHolder(folder);
  if (holder !== null) throw new DataDirInUse(folder, holder);
  const file = join(folder, PID_FILE);
  writeFileSync(file, `${process.pid}\n`);
  return () => {
    if (dataDirHolder(folder) === process.pid) rmSync(file, { force: true });
  };
}
