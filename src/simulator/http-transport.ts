import type { Transport } from './twilio-model';

/** One webhook request as the simulator saw it: which route, its status, how long the answer took. */
export interface WebhookTiming {
  route: string;
  status: number;
  ms: number;
}

/**
 * Delivers the model's signed webhooks to a running server over HTTP. Twilio signs the URL it
 * was given (under the server's PUBLIC_BASE_URL); the request itself goes to `targetUrl`, which
 * may differ (a server behind a proxy, or reached on loopback). A URL outside PUBLIC_BASE_URL is
 * refused: the simulator sends nothing anywhere but the server under test.
 */
export function httpTransport(o: { targetUrl: string; publicBaseUrl: string; timeoutMs?: number; onTiming?: (t: WebhookTiming) => void }): Transport {
  const target = o.targetUrl.replace(/\/+$/, '');
  const base = o.publicBaseUrl.replace(/\/+$/, '');
  return async (url, params, signature) => {
    if (!url.startsWith(base + '/')) throw new Error(`the server asked Twilio to fetch ${url}, outside PUBLIC_BASE_URL ${base}`);
    const path = url.slice(base.length);
    const started = performance.now();
    const res = await fetch(target + path, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': signature },
      body: new URLSearchParams(params).toString(),
      // Twilio gives up on a webhook after 15 s.
      signal: AbortSignal.timeout(o.timeoutMs ?? 15_000),
    });
    const text = await res.text();
    o.onTiming?.({ route: path.split('?')[0]!, status: res.status, ms: performance.now() - started });
    return { status: res.status, text };
  };
}
