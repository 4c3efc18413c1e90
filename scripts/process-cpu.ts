import { readdirSync, readFileSync } from 'node:fs';

/**
 * CPU time spent by processes on this machine, read from Linux's /proc (user and system time,
 * in milliseconds): what a benchmark's server, PostgreSQL and Redis each cost while it ran. On a
 * machine without /proc every reading is undefined, and the benchmark says so instead.
 */

/** Clock ticks a second, as /proc counts them (USER_HZ, 100 on every Linux Node runs on). */
const TICKS = 100;

export interface CpuTimes {
  user: number;
  system: number;
}

/** One process's user and system time so far, or undefined when it is gone (or there is no /proc). */
export function cpuOfPid(pid: number): CpuTimes | undefined {
  try {
    // Fields after the command (which may hold spaces), from the last ')': utime and stime are the 12th and 13th.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return { user: (Number(f[11]) * 1000) / TICKS, system: (Number(f[12]) * 1000) / TICKS };
  } catch {
    return undefined;
  }
}

/** The process ids whose command name is `name` (postgres, redis-server). */
export function pidsNamed(name: string): number[] {
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return [];
  }
  return entries.filter((e) => /^\d+$/.test(e) && readComm(e) === name).map(Number);
}

function readComm(pid: string): string | undefined {
  try {
    return readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
  } catch {
    return undefined;
  }
}

/**
 * Starts counting the CPU time of some groups of processes; `stop()` gives each group's time
 * since then (undefined for a group with no process at the stop). A group's processes are looked
 * up again at the stop, so a PostgreSQL backend started meanwhile counts from its birth, and one
 * that exited meanwhile (an autovacuum worker, a closed connection) is not counted at all.
 */
export function countCpu(groups: Record<string, () => number[]>): { stop(): Record<string, CpuTimes | undefined> } {
  const at = (pids: number[]) =>
    new Map(
      pids.flatMap((p) => {
        const t = cpuOfPid(p);
        return t ? [[p, t] as const] : [];
      }),
    );
  const before = Object.fromEntries(Object.entries(groups).map(([k, pids]) => [k, at(pids())]));
  return {
    stop() {
      const out: Record<string, CpuTimes | undefined> = {};
      for (const [k, pids] of Object.entries(groups)) {
        const now = at(pids());
        if (now.size === 0) continue;
        const sum = { user: 0, system: 0 };
        for (const [pid, t] of now) {
          const b = before[k]!.get(pid) ?? { user: 0, system: 0 };
          sum.user += t.user - b.user;
          sum.system += t.system - b.system;
        }
        out[k] = sum;
      }
      return out;
    },
  };
}
