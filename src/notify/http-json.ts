import http from 'node:http';
import https from 'node:https';

/** Seconds a channel's HTTP request may take before it counts as failed (and is retried later). */
const TIMEOUT_MS = 10_000;

/** A JSON request over node's http(s) (nock intercepts it in tests); answers the parsed body. */
export function requestJson(method: 'GET' | 'POST', url: string, body?: unknown): Promise<{ status: number; body: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const u = new URL(url);
    const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body), 'utf8');
    const req = (u.protocol === 'http:' ? http : https).request(
      u,
      { method, headers: payload ? { 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': payload.length } : {}, timeout: TIMEOUT_MS },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let parsed: Record<string, unknown> = {};
          try {
            parsed = text ? (JSON.parse(text) as Record<string, unknown>) : {};
          } catch {
            parsed = {};
          }
          resolve({ status: res.statusCode ?? 0, body: parsed });
        });
      },
    );
    req.on('timeout', () => req.destroy(new Error(`timed out after ${TIMEOUT_MS} ms`)));
    req.on('error', reject);
    if (payload) req.write(payload);
    req.end();
  });
}
