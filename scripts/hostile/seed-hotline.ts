import { AccountService } from '../../src/console/account-service';
import { systemClock } from '../../src/domain/clock';
import type { Db } from '../../src/postgres/db';
import { PostgresAccountStore } from '../../src/postgres/account-store';
import type { FakeTwilioRest } from '../../src/simulator/fake-twilio-rest';
import { ScaledClock } from '../../src/simulator/real-time';
import { runSimulation } from '../../src/simulator/simulation';
import type { HostileTarget } from './hostile-requests';
import type { KnownRecords } from './hostile-values';

export const HOTLINE = '+864008001234';

/** A console admin written straight into the scratch database, as `npm run create-admin` does. */
export async function createConsoleAdmin(db: Db, username: string, password: string): Promise<void> {
  await new AccountService({ accounts: new PostgresAccountStore(db), clock: systemClock, sessionHours: 12 }).create(username, password, 'admin');
}

export interface SeedOptions {
  url: string;
  adminToken: string;
  authToken: string;
  accountSid: string;
  /** Plays this many simulated calls (none: agents only). */
  calls: number;
  seed: number;
  rest?: FakeTwilioRest;
}

/** A few agents and calls through the real routes, then what the run needs to know about them. */
export async function seedHotline(o: SeedOptions): Promise<Pick<HostileTarget, 'known' | 'links'>> {
  const api = async (path: string, init: RequestInit = {}) => {
    const res = await fetch(o.url + path, { ...init, headers: { authorization: `Bearer ${o.adminToken}`, 'content-type': 'application/json' } });
    const body = (await res.json()) as any;
    if (res.status >= 300) throw new Error(`seeding: ${init.method ?? 'GET'} ${path} answered ${res.status}`);
    return body;
  };
  const agentPhones = ['+8613800138001', '+8613800138002', '+8613800138003'];
  for (const [i, phone] of agentPhones.entries()) await api('/api/agents', { method: 'POST', body: JSON.stringify({ name: `Hostile-run agent ${i + 1}`, phone }) });
  const rule = await api('/api/blocklist', { method: 'POST', body: JSON.stringify({ pattern: '+8613999999999', reason: 'spam' }) });
  if (o.calls > 0) {
    await runSimulation({
      targetUrl: o.url,
      publicBaseUrl: o.url,
      authToken: o.authToken,
      accountSid: o.accountSid,
      hotline: HOTLINE,
      agentPhones,
      calls: o.calls,
      concurrency: o.calls,
      seed: o.seed,
      clock: new ScaledClock(1),
      maxTalkSeconds: 3,
      rest: o.rest,
    });
  }
  const agents = (await api('/api/agents?includeInactive=true')).agents as { id: string; phone: string }[];
  const calls = (await api('/api/calls?limit=200')).calls as { id: string; callSid: string; from: string; answeredByAgentId: string | null }[];
  const attempts = (await Promise.all(calls.map(async (c) => (await api(`/api/calls/${c.id}`)).attempts as { id: string }[]))).flat();
  const callbacks = (await api('/api/callbacks')).callbacks as { id: string; ownerAgentId: string | null }[];
  const known: KnownRecords = {
    hotline: HOTLINE,
    agentIds: agents.map((a) => a.id),
    callIds: calls.map((c) => c.id),
    callSids: calls.map((c) => c.callSid),
    attemptIds: attempts.map((a) => a.id),
    callbackIds: callbacks.map((c) => c.id),
    otherIds: [rule.id],
    phones: [...new Set([...agents.map((a) => a.phone), ...calls.map((c) => c.from)])],
  };
  const firstAgent = agents[0]!.id;
  const links = [
    ...calls.map((c) => ({ purpose: 'call-notes', subject: c.id, agentId: c.answeredByAgentId ?? firstAgent })),
    ...callbacks.map((c) => ({ purpose: 'callback-dial', subject: c.id, agentId: c.ownerAgentId ?? firstAgent })),
  ];
  return { known, links };
}

/** Signs in to the console as a browser would: the form's CSRF cookie, then the session cookie and a form's CSRF token. */
export async function consoleSignIn(url: string, username: string, password: string): Promise<{ cookie: string; csrf: string }> {
  const form = await fetch(`${url}/console/sign-in`);
  const signInCsrf = /threering_sign_in=([^;]+)/.exec(form.headers.get('set-cookie') ?? '')?.[1];
  if (!signInCsrf) throw new Error('seeding: the sign-in page set no CSRF cookie');
  const res = await fetch(`${url}/console/sign-in`, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: `threering_sign_in=${signInCsrf}` },
    body: new URLSearchParams({ _csrf: decodeURIComponent(signInCsrf), username, password, next: '/console/' }).toString(),
  });
  const session = /threering_console=([^;]+)/.exec(res.headers.get('set-cookie') ?? '')?.[1];
  if (!session) throw new Error(`seeding: console sign-in answered ${res.status} with no session`);
  const cookie = `threering_console=${session}`;
  const page = await (await fetch(`${url}/console/agents`, { headers: { cookie } })).text();
  const csrf = /name="_csrf" value="([^"]+)"/.exec(page)?.[1];
  if (!csrf) throw new Error('seeding: no CSRF token on the console agents page');
  return { cookie, csrf };
}
