import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { request, Agent } from 'node:http';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import twilio from 'twilio';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../src/simulator/in-process-server';
import { freshDatabase, realRedisUrl, type TestDatabase } from '../support/backends';
import { deleteKeys } from '../../scripts/scratch-database';

const ROOT = join(__dirname, '..', '..');
const AUTH_TOKEN = 'drain-auth-token-0123456789';
const ACCOUNT_SID = 'AC' + 'd1'.repeat(16);

/** A GET over a keep-alive agent: its status and whether the server asked to close the connection. */
function get(port: number, path: string, agent: Agent): Promise<{ status: number; connection: string | undefined }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, agent }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode ?? 0, connection: res.headers.connection }));
    });
    req.on('error', reject);
    req.end();
  });
}

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function until<T>(what: string, probe: () => Promise<T | undefined>): Promise<T> {
  for (let i = 0; i < 1800; i++) {
    const got = await probe().catch(() => undefined);
    if (got !== undefined) return got;
    await pause(100);
  }
  throw new Error(`gave up waiting: ${what}`);
}

/**
 * SIGTERM on the real server process (src/server.ts): the instance says it is not ready at once,
 * tells keep-alive clients to close, lets a request already in flight finish with its TwiML, stops
 * taking connections after the notice, and exits 0.
 */
describe('a server process that gets SIGTERM drains', () => {
  let testDb: TestDatabase | undefined;
  let dataDir: string | undefined;
  let redisPrefix: string | undefined;
  let child: ChildProcess;
  let port: number;
  let output = '';
  let exited: Promise<number | null>;

  beforeAll(async () => {
    const env: Record<string, string> = {
      PATH: process.env.PATH ?? '',
      TWILIO_ACCOUNT_SID: ACCOUNT_SID,
      TWILIO_AUTH_TOKEN: AUTH_TOKEN,
      // Long enough for a slow machine to see the notice before the port closes.
      DRAIN_NOTICE_SECONDS: '15',
      LOG_LEVEL: 'info',
    };
    if (process.env.DATABASE_URL) {
      testDb = await freshDatabase();
      env.DATABASE_URL = testDb.url!;
    } else {
      dataDir = mkdtempSync(join(tmpdir(), 'threering-drain-'));
      env.PGLITE_DATA_DIR = dataDir;
    }
    if (realRedisUrl) {
      env.REDIS_URL = realRedisUrl;
      redisPrefix = env.REDIS_KEY_PREFIX = `threering-test:${randomBytes(6).toString('hex')}:`;
    }
    // The port is free when picked, not when the server binds it: another test's server may take
    // it first (this server then exits, and the other would answer for it). Only this process's
    // own "listening" counts, and a server that lost its port is started again on another.
    for (let tries = 1; ; tries++) {
      port = await freePort();
      output = '';
      child = spawn(join(ROOT, 'node_modules', '.bin', 'tsx'), ['src/server.ts'], {
        cwd: ROOT,
        env: { ...env, PORT: String(port), PUBLIC_BASE_URL: `http://127.0.0.1:${port}` },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      child.stdout!.on('data', (d) => (output += String(d)));
      child.stderr!.on('data', (d) => (output += String(d)));
      exited = new Promise((resolve) => child.once('exit', (code) => resolve(code)));
      const started = await until('the server to listen or exit', async () =>
        child.exitCode !== null ? 'exited' : output.includes('threering listening') ? 'listening' : undefined,
      );
      if (started === 'listening') break;
      if (tries === 3) throw new Error(`the server did not start: ${output.slice(-2000)}`);
    }
    await until('the server to be ready', async () => {
      const res = await fetch(`http://127.0.0.1:${port}/readyz`);
      return res.status === 200 ? true : undefined;
    });
    // A busy machine compiles and starts a fresh process slowly; this only catches a hang.
  }, 200_000);

  afterAll(async () => {
    if (child.exitCode === null) child.kill('SIGKILL');
    await testDb?.drop();
    if (realRedisUrl && redisPrefix) await deleteKeys(realRedisUrl, redisPrefix);
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  it('stops being ready, closes keep-alive connections, finishes the request in flight, then exits 0', async () => {
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    const before = await get(port, '/healthz', agent);
    expect(before.status).toBe(200);
    expect(before.connection).not.toBe('close');

    // A Twilio webhook whose body is still on its way when the signal comes.
    const url = `http://127.0.0.1:${port}/webhooks/voice/incoming`;
    const params = { AccountSid: ACCOUNT_SID, CallSid: 'CA' + randomBytes(16).toString('hex'), From: '+8613900001111', To: '+864008001234', CallStatus: 'ringing', Direction: 'inbound' };
    const body = new URLSearchParams(params).toString();
    const signature = twilio.getExpectedTwilioSignature(AUTH_TOKEN, url, params);
    const inFlight: Socket = connect(port, '127.0.0.1');
    let reply = '';
    inFlight.on('data', (d) => (reply += String(d)));
    const failed = new Promise<never>((_resolve, reject) => inFlight.once('error', (err) => reject(new Error(`${err.message}; server output: ${output.slice(-2000)}`))));
    failed.catch(() => undefined);
    const replied = Promise.race([new Promise<void>((resolve) => inFlight.on('end', () => resolve())), failed]);
    await Promise.race([new Promise<void>((resolve) => inFlight.once('connect', () => resolve())), failed]);
    const half = Math.floor(body.length / 2);
    inFlight.write(
      `POST /webhooks/voice/incoming HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nContent-Type: application/x-www-form-urlencoded\r\n` +
        `X-Twilio-Signature: ${signature}\r\nContent-Length: ${body.length}\r\nConnection: keep-alive\r\n\r\n${body.slice(0, half)}`,
    );

    child.kill('SIGTERM');
    const notReady = await until('/readyz to say 503', async () => {
      const res = await get(port, '/readyz', agent);
      return res.status === 503 ? res : undefined;
    });
    expect(notReady.connection).toBe('close');
    const during = await get(port, '/healthz', agent);
    expect(during.status).toBe(200);
    expect(during.connection).toBe('close');

    // After the notice the port closes, while the request in flight is still open.
    await until('new connections to be refused', async () => {
      try {
        await fetch(`http://127.0.0.1:${port}/healthz`);
        return undefined;
      } catch {
        return true;
      }
    });
    inFlight.write(body.slice(half));
    await replied;
    expect(reply).toMatch(/^HTTP\/1\.1 200/);
    expect(reply).toMatch(/connection: close/i);
    expect(reply).toContain('<Response>');

    expect(await exited).toBe(0);
    expect(output).toContain('draining');
    expect(output).toContain('drained');
  }, 200_000);
});
