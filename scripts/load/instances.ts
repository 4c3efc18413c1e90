import { spawn, type ChildProcess } from 'node:child_process';
import { openSync } from 'node:fs';
import { join } from 'node:path';

const ROOT = join(__dirname, '..', '..');

/** One server instance of a load run: its own Node process (scripts/load/instance.ts), its log file. */
export interface Instance {
  name: string;
  port: number;
  logFile: string;
  process: ChildProcess;
  /** Resolves with the exit code (null when killed by a signal) once the process is gone. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

export async function startInstance(name: string, port: number, env: Record<string, string>, logDir: string): Promise<Instance> {
  const logFile = join(logDir, `${name}.log`);
  const out = openSync(logFile, 'a');
  const child = spawn(process.execPath, ['--import', 'tsx', join('scripts', 'load', 'instance.ts')], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', ...env, PORT: String(port) },
    stdio: ['ignore', out, out],
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  let gone = false;
  void exited.then(() => (gone = true));
  for (let i = 0; i < 600 && !gone; i++) {
    try {
      const res = await fetch(`http://127.0.0.1:${port}/readyz`, { signal: AbortSignal.timeout(2_000) });
      await res.arrayBuffer();
      if (res.status === 200) return { name, port, logFile, process: child, exited };
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  child.kill('SIGKILL');
  throw new Error(`instance ${name} did not become ready (log: ${logFile})`);
}

/** Stops an instance that is still running: SIGTERM (it drains), SIGKILL if it hangs. */
export async function stopInstance(i: Instance): Promise<void> {
  if (i.process.exitCode !== null || i.process.signalCode !== null) return;
  i.process.kill('SIGTERM');
  const timer = setTimeout(() => i.process.kill('SIGKILL'), 30_000);
  await i.exited;
  clearTimeout(timer);
}
