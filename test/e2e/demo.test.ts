import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

/** A figure of the demo's summary, e.g. "service level (≤ 10 s) 88 %" → 88. */
function percentOf(out: string, label: string): number {
  const m = new RegExp(`${label.replace(/[()]/g, '\\$&')} (\\d+) %`).exec(out);
  if (!m) throw new Error(`no "${label}" in the demo's output:\n${out}`);
  return Number(m[1]);
}

describe('npm run demo with no terminal attached', () => {
  const dir = mkdtempSync(join(tmpdir(), 'threering-demo-test-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  // At a time scale of 5 the server's own work costs five times its length in call time; a busy
  // machine's slower answers would otherwise push calls past the rule that a real phone keeps.
  it('plays a good day, prints only the progress and the summary, logs to its file, and exits 0 by itself', async () => {
    const log = join(dir, 'demo.log');
    const env = { ...process.env };
    delete env.DATABASE_URL;
    delete env.REDIS_URL;
    const child = spawn(join('node_modules', '.bin', 'tsx'), ['scripts/demo.ts', '--calls', '24', '--agents', '4', '--max-talk', '20', '--time-scale', '5', '--log', log], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (c) => (out += c));
    child.stderr.on('data', (c) => (out += c));
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    expect(code, out).toBe(0);

    // The screen: no log entries among the progress lines.
    expect(out).not.toMatch(/^\{"/m);
    expect(out).toContain(`its log goes to ${log}`);
    expect(existsSync(log)).toBe(true);
    expect(readFileSync(log, 'utf8')).toContain('"message":"webhook answered"');
    expect(out).not.toContain('Ctrl-C');
    // The server is gone once it exits: no console address or password to try, but how to keep it.
    expect(out).not.toMatch(/\/console\/|password/);
    expect(out).toContain('npm run demo -- --serve');

    // The figures of a hotline that keeps its rule, as the server counted them. Four of the day's
    // callers are outside the rule by design (two callbacks, the waiting line, one ring-out).
    const outside = readFileSync(log, 'utf8').split('\n').filter((l) => l.includes('outside the rule')).join('\n');
    // The answer rate is a count. The service level and the first ring are times, and a scaled
    // clock makes a loaded machine's slow answers look like slow service (67 % with a load average
    // of 15 on two cores, against 88 % on a quieter one; README "Demo and simulator" has the
    // measured figures): the bounds here tell a good day from the old failing demo (13 %, 14.7 s),
    // not a fast machine from a slow one.
    expect(percentOf(out, 'answer rate')).toBeGreaterThanOrEqual(85);
    expect(percentOf(out, 'service level (≤ 10 s)'), outside).toBeGreaterThanOrEqual(50);
    const firstRing = /first ring mean ([\d.]+) s/.exec(out);
    expect(Number(firstRing?.[1])).toBeLessThan(8);
    // Each part of the day happened, and says so.
    expect(out).toMatch(/blocked 1\b/);
    // One returned by the caller's repeat call, one called back by its owner: the customer answered.
    expect(out).toMatch(/2 callbacks opened, now (1 closed, 1 done|1 done, 1 closed)/);
    expect(out).toMatch(/called back by the callback's owner \(演示坐席 \d: the customer answered, callback done, \d+ min before its deadline\)/);
    expect(out).toMatch(/The waiting line: 1 caller waited in it/);
    expect(out).toContain('stopped the clock in time');
  }, 300_000);
});
