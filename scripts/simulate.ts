/**
 * npm run simulate -- --url http://127.0.0.1:3000 --calls 20 --concurrency 4
 *
 * Plays generated calls against a running ThreeRing server through the built-in Twilio model, in
 * real time (the server's clock is the wall clock), and prints what the callers lived beside the
 * server's figures. Flags and what they need of the server: README, "Demo and simulator".
 */
import { parseArgs } from 'node:util';
import { FakeTwilioRest } from '../src/simulator/fake-twilio-rest';
import { progressBar } from '../src/simulator/progress';
import { ScaledClock } from '../src/simulator/real-time';
import { percentile, runSimulation } from '../src/simulator/simulation';

async function main() {
  const { values } = parseArgs({
    options: {
      url: { type: 'string', default: 'http://127.0.0.1:3000' },
      'public-base-url': { type: 'string' },
      'auth-token': { type: 'string', default: process.env.TWILIO_AUTH_TOKEN ?? 'dev-auth-token-change-me' },
      'account-sid': { type: 'string', default: process.env.TWILIO_ACCOUNT_SID ?? 'AC00000000000000000000000000000000' },
      'admin-token': { type: 'string', default: process.env.ADMIN_TOKEN ?? 'dev-admin-token-change-me' },
      calls: { type: 'string', default: '10' },
      concurrency: { type: 'string', default: '2' },
      agents: { type: 'string', default: '3' },
      to: { type: 'string', default: '+864008001234' },
      'max-talk': { type: 'string', default: '30' },
      'rest-port': { type: 'string', default: '0' },
      seed: { type: 'string', default: String(Date.now() % 100_000) },
    },
    strict: true,
  });
  const url = values.url!.replace(/\/+$/, '');
  const publicBaseUrl = (values['public-base-url'] ?? url).replace(/\/+$/, '');
  const adminToken = values['admin-token']!;
  const api = async (path: string, init: RequestInit = {}) => {
    const res = await fetch(url + path, { ...init, headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' } });
    const body = (await res.json()) as any;
    if (res.status >= 300) throw new Error(`${init.method ?? 'GET'} ${path}: ${res.status} ${JSON.stringify(body)}`);
    return body;
  };
  let phones: string[] = (await api('/api/agents')).agents.map((a: { phone: string }) => a.phone);
  if (phones.length === 0) {
    for (let i = 1; i <= Number(values.agents); i++) {
      await api('/api/agents', { method: 'POST', body: JSON.stringify({ name: `Simulated agent ${i}`, phone: `+86138009900${String(i).padStart(2, '0')}` }) });
    }
    phones = (await api('/api/agents')).agents.map((a: { phone: string }) => a.phone);
    process.stderr.write(`the roster was empty: added ${phones.length} simulated agents\n`);
  }
  const rest = new FakeTwilioRest({ accountSid: values['account-sid']!, authToken: values['auth-token']! });
  const restUrl = await rest.listen(Number(values['rest-port']));
  process.stderr.write(`fake Twilio REST API at ${restUrl} (the server's TWILIO_API_BASE_URL should be this, for SMS and call redirects)\n`);
  const clock = new ScaledClock(1);
  const started = clock.now();
  const calls = Number(values.calls);
  try {
    const r = await runSimulation({
      targetUrl: url,
      publicBaseUrl,
      authToken: values['auth-token']!,
      accountSid: values['account-sid']!,
      hotline: values.to!,
      agentPhones: phones,
      calls,
      concurrency: Number(values.concurrency),
      seed: Number(values.seed),
      clock,
      maxTalkSeconds: Number(values['max-talk']),
      rest,
      onCallDone: progressBar('calls'),
    });
    const byRoute = new Map<string, number[]>();
    for (const t of r.timings) byRoute.set(t.route, [...(byRoute.get(t.route) ?? []), t.ms]);
    const s = await api(`/api/analytics/summary?from=${encodeURIComponent(new Date(started.getTime() - 60_000).toISOString())}&to=${encodeURIComponent(new Date(Date.now() + 60_000).toISOString())}`);
    const lines = [
      `seed ${values.seed}: ${calls} calls in ${r.wallSeconds.toFixed(1)} s`,
      `lived: answered ${r.lived.answered}, missed ${r.lived.missed}, abandoned ${r.lived.abandoned}, rated ${r.rated}; failed ${r.failedCalls}; agents rung twice at once ${r.doubleRung.length}`,
      `server (calls that arrived during the run, from any source): offered ${s.offered}, answered ${s.answered}, missed ${s.missed}, abandoned ${s.abandoned}, service level ${s.serviceLevel}`,
      `fake REST API: ${rest.sms.length} SMS, ${rest.redirects.length} call redirects`,
      'webhook latency (ms): route  n  p50  p99',
      ...[...byRoute].map(([route, ms]) => `  ${route}  ${ms.length}  ${percentile(ms, 50)!.toFixed(0)}  ${percentile(ms, 99)!.toFixed(0)}`),
      ...r.errors.slice(0, 10).map((e) => `error: ${e}`),
    ];
    process.stdout.write(lines.join('\n') + '\n');
    process.exitCode = r.failedCalls > 0 || r.doubleRung.length > 0 ? 1 : 0;
  } finally {
    await rest.close();
  }
}

main().catch((err) => {
  process.stderr.write(`simulate: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
