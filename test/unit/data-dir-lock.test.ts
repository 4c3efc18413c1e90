import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DataDirInUse, holdDataDir, PID_FILE } from '../../src/postgres/data-dir-lock';

describe('the embedded database folder is held by one process at a time', () => {
  const dir = mkdtempSync(join(tmpdir(), 'threering-lock-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('a second hold while the first is alive is refused, naming the holder; the release frees it', () => {
    const release = holdDataDir(dir);
    expect(readFileSync(join(dir, PID_FILE), 'utf8').trim()).toBe(String(process.pid));
    expect(() => holdDataDir(dir)).toThrow(DataDirInUse);
    expect(() => holdDataDir(dir)).toThrow(`open in process ${process.pid}`);
    release();
    expect(existsSync(join(dir, PID_FILE))).toBe(false);
    holdDataDir(dir)();
  });

  it('a pid file left by a process that is gone (a crash) does not hold the folder', async () => {
    const child = spawn(process.execPath, ['-e', '']);
    const pid = child.pid!;
    await new Promise((resolve) => child.on('close', resolve));
    writeFileSync(join(dir, PID_FILE), `${pid}\n`);
    const release = holdDataDir(dir);
    expect(readFileSync(join(dir, PID_FILE), 'utf8').trim()).toBe(String(process.pid));
    release();
  });
});
