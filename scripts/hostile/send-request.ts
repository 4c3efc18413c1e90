import http from 'node:http';
import type { HostileRequest } from './hostile-requests';

export interface HostileResponse {
  status?: number;
  contentType?: string;
  body?: string;
  /** Set when no answer came: the connection was dropped, refused or timed out. */
  error?: string;
}

/**
 * Sends one request over its own connection and reads the whole answer. A server-sent event
 * stream (the console's live feed) is judged on its head and then closed.
 */
export function sendRequest(baseUrl: string, r: HostileRequest, timeoutMs = 15_000): Promise<HostileResponse> {
  const url = new URL(baseUrl);
  return new Promise((resolve) => {
    let settled = false;
    const done = (v: HostileResponse) => {
      if (settled) return;
      settled = true;
      resolve(v);
    };
    const headers: Record<string, string | number> = { ...r.headers, connection: 'close' };
    if (r.body) headers['content-length'] = r.body.length;
    const req = http.request({ host: url.hostname, port: url.port, method: r.method, path: r.path, headers, agent: false, insecureHTTPParser: false }, (res) => {
      const contentType = String(res.headers['content-type'] ?? '');
      if (contentType.startsWith('text/event-stream')) {
        done({ status: res.statusCode, contentType, body: '' });
        res.destroy();
        return;
      }
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => done({ status: res.statusCode, contentType, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', (err) => done({ error: `response broken after ${res.statusCode}: ${err.message}` }));
    });
    req.setTimeout(timeoutMs, () => {
      done({ error: `no answer within ${timeoutMs} ms` });
      req.destroy();
    });
    req.on('error', (err: NodeJS.ErrnoException) => done({ error: `${err.code ?? ''} ${err.message}`.trim() }));
    req.end(r.body);
  });
}

/** Runs the requests `concurrency` at a time, in order of the list, and returns the answers in the same order. */
export async function sendAll(baseUrl: string, requests: HostileRequest[], concurrency: number, onDone?: (n: number) => void): Promise<HostileResponse[]> {
  const out: HostileResponse[] = new Array(requests.length);
  let next = 0;
  let finished = 0;
  const worker = async () => {
    while (next < requests.length) {
      const i = next++;
      out[i] = await sendRequest(baseUrl, requests[i]!);
      onDone?.(++finished);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, requests.length) }, worker));
  return out;
}
