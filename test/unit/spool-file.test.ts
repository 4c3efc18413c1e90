import { promises as fsp, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { SpoolEvent } from '../../src/spool/spool-events';
import { SpoolFile } from '../../src/spool/spool-file';

const arrived = (n: number): SpoolEvent => ({
  type: 'call-arrived',
  callSid: `CA${String(n).padStart(32, '0')}`,
  callId: `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`,
  from: '+8613911112222',
  to: '+864008001234',
  callerName: null,
  rotationOffset: n,
  at: new Date(Date.UTC(2026, 10, 23, 2, 0, n)).toISOString(),
});

describe('the spool file (calls kept while PostgreSQL is down)', () => {
  let dir: string;
  beforeEach(() => {
    dir = join(mkdtempSync(join(tmpdir(), 'threering-spool-test-')), 'spool');
  });
  afterEach(() => {
    vi.restoreAllMocks();
    rmSync(join(dir, '..'), { recursive: true, force: true });
  });

  it('appends one JSON line per event, owner-only, and reads them back in order', async () => {
    const spool = new SpoolFile(dir);
    for (const n of [1, 2, 3]) await spool.append(arrived(n));
    expect(spool.depth()).toBe(3);
    const text = await fsp.readFile(spool.path, 'utf8');
    expect(text.split('\n')).toHaveLength(4);
    expect(statSync(spool.path).mode & 0o777).toBe(0o600);
    const { lines } = await spool.read();
    expect(lines.map((l) => l.event)).toEqual([arrived(1), arrived(2), arrived(3)]);
  });

  it('returns from an append only after the line was fsync-ed', async () => {
    const steps: string[] = [];
    const open = fsp.open.bind(fsp);
    vi.spyOn(fsp, 'open').mockImplementation(async (...args: Parameters<typeof fsp.open>) => {
      const file = await open(...args);
      const write = file.write.bind(file) as (...a: unknown[]) => Promise<unknown>;
      const sync = file.sync.bind(file);
      (file as unknown as { write: unknown }).write = async (...a: unknown[]) => (steps.push('write'), write(...a));
      file.sync = async () => (steps.push('sync'), sync());
      return file;
    });
    const spool = new SpoolFile(dir);
    await spool.append(arrived(1));
    steps.push('answered');
    // The file's line, its fsync, then (a new file) its folder's fsync, and only then the answer.
    expect(steps).toEqual(['write', 'sync', 'sync', 'answered']);
  });

  it('drops the replayed lines from the front and keeps the ones appended meanwhile', async () => {
    const spool = new SpoolFile(dir);
    for (const n of [1, 2, 3]) await spool.append(arrived(n));
    const { lines } = await spool.read();
    const late = spool.append(arrived(4));
    await spool.drop(lines.length - 1);
    await late;
    expect((await spool.read()).lines.map((l) => l.event)).toEqual([arrived(3), arrived(4)]);
    expect(spool.depth()).toBe(2);
    expect(statSync(spool.path).mode & 0o777).toBe(0o600);
  });

  it('cuts off a last line torn by a crash, and appends cleanly after it', async () => {
    const first = new SpoolFile(dir);
    await first.append(arrived(1));
    const whole = JSON.stringify(arrived(2));
    await fsp.appendFile(first.path, whole.slice(0, 40));

    const reopened = new SpoolFile(dir);
    expect(await reopened.open()).toBe(40);
    expect(reopened.depth()).toBe(1);
    await reopened.append(arrived(3));
    const { lines, unreadable } = await reopened.read();
    expect(unreadable).toBe(0);
    expect(lines.map((l) => l.event)).toEqual([arrived(1), arrived(3)]);
  });

  it('skips a line that is not an event and counts it', async () => {
    const spool = new SpoolFile(dir);
    await spool.append(arrived(1));
    await fsp.appendFile(spool.path, 'not json\n');
    await spool.append(arrived(2));
    const { lines, unreadable, total } = await spool.read();
    expect(lines.map((l) => [l.line, l.event.callSid])).toEqual([
      [0, arrived(1).callSid],
      [2, arrived(2).callSid],
    ]);
    expect([unreadable, total]).toEqual([1, 3]);
  });

  it('is one object per folder in a process, and runs one replay pass at a time', async () => {
    const spool = SpoolFile.shared(dir);
    expect(SpoolFile.shared(join(dir, '.'))).toBe(spool);
    const order: string[] = [];
    let release!: () => void;
    const first = spool.replayAlone(async () => {
      order.push('first starts');
      await new Promise<void>((r) => (release = r));
      order.push('first ends');
    });
    const second = spool.replayAlone(async () => void order.push('second'));
    await new Promise((r) => setTimeout(r, 20));
    release();
    await Promise.all([first, second]);
    expect(order).toEqual(['first starts', 'first ends', 'second']);
  });
});
