import { spawn, type ChildProcess } from 'node:child_process';
import { resolve } from 'node:path';

/** The real server (`src/server.ts`) in a process of its own, its log output kept for the privacy check. */
export interface ServerProcess {
  url: string;
  pid: number;
  /** Everything the process wrote to stdout and stderr so far. */
  output(): string;
  alive(): boolean;
  /** SIGTERM, then the exit code (null when it had to be killed). */
  stop(): Promise<number | null>;
}

const ROOT = resolve(__dirname, '../..');

export async function startServerProcess(env: Record<string, string>, port: number, startSeconds = 120): Promise<ServerProcess> {
  const url = `http://127.0.0.1:${port}`;
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', 'src/server.ts'], {
    cwd: ROOT,
    // Only what the run chooses: no DATABASE_URL or secret leaks in from the caller's shell.
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', PORT: String(port), PUBLIC_BASE_URL: url, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const chunks: string[] = [];
  child.stdout!.setEncoding('utf8').on('data', (s: string) => chunks.push(s));
  child.stderr!.setEncoding('utf8').on('data', (s: string) => chunks.push(s));
  let exited: number | null | undefined;
  const exit = new Promise<number | null>((done) => child.once('exit', (code) => done((exited = code))));
  const deadline = Date.now() + startSeconds * 1000;
  for (;;) {
    if (exited !== undefined) throw new Error(`the server exited with ${exited} while starting:\n${chunks.join('').slice(-2000)}`);
    const ready = await fetch(`${url}/readyz`).then((r) => r.ok, () => false);
    if (ready) break;
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`the server did not answer /readyz within ${startSeconds} s:\n${chunks.join('').slice(-2000)}`);
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  return {
    url,
    pid: child.pid!,
    output: () => chunks.join(''),
    alive: () => exited === undefined && child.exitCode === null,
    async stop() {
      if (exited !== undefined) return exited;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 25_000);
      const code = await exit;
      clearTimeout(timer);
      return code;
    },
  };
}
