/**
 * What the webhook benchmarks share (scripts/bench-webhook.ts, scripts/bench-scale.ts): a target
 * served in a child process of its own (the whole server, or a bare Express route), requests
 * signed as Twilio signs them over kept-alive connections, and the admin API.
 *
 * Run as a child: `--serve server|bare --port N` serves until SIGTERM (the server's settings come
 * from the environment the parent gives it).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import http from 'node:http';
import { parseArgs } from 'node:util';
import express from 'express';
import twilio from 'twilio';
import { createLogger } from '../src/logger';
import { startInProcessServer } from '../src/simulator/in-process-server';

export const AUTH_TOKEN = 'bench-auth-token-0123456789';
export const ADMIN_TOKEN = 'bench-admin-token-0123456789';
export const ACCOUNT_SID = 'AC00000000000000000000000000000000';

/** Child mode: serve one target until killed. `env`: settings of the server beyond the bench's own. */
async function serve(kind: string, port: number) {
  if (kind === 'bare') {
    const app = express();
    app.use(express.urlencoded({ extended: false, limit: '64kb' }));
    const twiml = '<?xml version="1.0" encoding="UTF-8"?><Response><Dial answerOnBridge="true" timeout="10"><Number>+8613800000001</Number></Dial></Response>';
    // Answered as the server answers TwiML (webhooks/twiml-reply.ts): no ETag, no freshness check.
    app.post('/webhooks/voice/incoming', (_req, res) => {
      res.statusCode = 200;
      res.setHeader('Content-Type', 'text/xml; charset=utf-8');
      res.setHeader('Content-Length', Buffer.byteLength(twiml));
      res.end(twiml);
    });
    app.listen(port, '127.0.0.1', () => process.stdout.write('ready\n'));
    return;
  }
  const env = Object.fromEntries(Object.entries(process.env).filter((e): e is [string, string] => e[1] !== undefined));
  const server = await startInProcessServer(
    { ...env, TWILIO_AUTH_TOKEN: AUTH_TOKEN, TWILIO_ACCOUNT_SID: ACCOUNT_SID, ADMIN_TOKEN, LOG_LEVEL: 'error', PORT: String(port) },
    { logger: createLogger('error', true) },
  );
  process.stdout.write(`ready ${server.url}\n`);
  process.on('SIGTERM', () => void server.close().then(() => process.exit(0)));
}

/** Starts a target in a child process on `port`, resolved once it listens. */
export function startChild(kind: 'server' | 'bare', port: number, env: Record<string, string>): Promise<ChildProcess> {
  // BENCH_CPU_PROF=<dir>: each target writes a V8 CPU profile there when it exits.
  const profile = process.env.BENCH_CPU_PROF ? ['--cpu-prof', '--cpu-prof-dir', process.env.BENCH_CPU_PROF] : [];
  const child = spawn(process.execPath, [...profile, '--import', 'tsx', __filename, '--serve', kind, '--port', String(port)], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return new Promise((resolve, reject) => {
    child.stdout!.on('data', (d: Buffer) => {
      if (d.toString().includes('ready')) resolve(child);
    });
    child.once('exit', (code) => reject(new Error(`${kind} server exited ${code}`)));
  });
}

/** Stops a target, letting it drain for up to 30 s. */
export async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  if ((await Promise.race([exited, new Promise((r) => setTimeout(() => r('late'), 30_000))])) === 'late') child.kill('SIGKILL');
}

export interface Answer {
  status: number;
  text: string;
}

/**
 * Connections kept open between requests, as a load balancer keeps them to its backends; as many
 * as there are requests in flight (as with fetch), so none waits in the generator.
 */
const keepAlive = new http.Agent({ keepAlive: true, maxSockets: Infinity });

export function postWithHttp(url: string, headers: Record<string, string>, body: string): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method: 'POST', agent: keepAlive, headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString() }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

export async function postWithFetch(url: string, headers: Record<string, string>, body: string): Promise<Answer> {
  const res = await fetch(url, { method: 'POST', headers, body });
  return { status: res.status, text: await res.text() };
}

/** A webhook request as Twilio sends it: form-encoded, signed over the full URL (query included) and the parameters. */
export function signedWebhook(url: string, params: Record<string, string>, post = postWithHttp): Promise<Answer> {
  const headers = { 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': twilio.getExpectedTwilioSignature(AUTH_TOKEN, url, params) };
  return post(url, headers, new URLSearchParams(params).toString());
}

/** The admin API, as the operator's tools call it; throws on any status but `expected`. */
export async function adminApi<T = Record<string, unknown>>(base: string, method: string, path: string, body?: unknown, expected = method === 'POST' ? 201 : 200): Promise<T> {
  const res = await fetch(`${base}${path}`, {
    method,
    headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (res.status !== expected) throw new Error(`${method} ${path}: ${res.status} ${await res.text()}`);
  return (await res.json()) as T;
}

if (require.main === module) {
  const { values } = parseArgs({ options: { serve: { type: 'string' }, port: { type: 'string' } }, strict: true });
  serve(values.serve!, Number(values.port)).catch((err) => {
    process.stderr.write(`bench-server: ${err instanceof Error ? err.stack : String(err)}\n`);
    process.exit(1);
  });
}
