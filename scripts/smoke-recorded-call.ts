/**
 * The smoke's second part, issue 24's acceptance (R12): a call answered on a started server has a
 * recording on record, playable through the product by a supervisor and refused to a viewer, the
 * listen audited, and no Twilio media address in any page, API answer or log.
 *
 * On the database the first start made: two console accounts from the README's `npm run
 * create-admin` (a supervisor, a viewer); the built server started again with Twilio's REST API
 * faked (TWILIO_API_BASE_URL: the recording's audio, the after-call text); a second agent; one
 * call played through the Twilio model the tests use (signed webhooks over HTTP, in real time):
 * answered, bridged, recorded, its recording reported by the signed status callback. Then what a
 * supervisor and a viewer get, and the listens. The caller stops the server it is given back.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { FakeTwilioRest } from '../src/simulator/fake-twilio-rest';
import { ScaledClock } from '../src/simulator/real-time';
import { runSimulation } from '../src/simulator/simulation';
import { sineWav } from '../src/simulator/sine-wav';
import type { AgentBehaviour } from '../src/simulator/twilio-model';
import { maskPhone } from '../src/domain/endpoint';
import { check, sleep } from './smoke-checks';

const ROOT = join(__dirname, '..');
const ACCOUNT_SECONDS = 90; // tsx, the embedded database, argon2
const READY_SECONDS = 60; // built already: the server opens the migrated database
const REQUEST_SECONDS = 10;
const CALL_SECONDS = 60;
const SECOND_AGENT = '+8613800000009';
const CALLER = '+8613900000003';
const TALK_SECONDS = 4;
const PASSWORD = 'smoke-password-1';

/** What a Twilio media address looks like in text: Twilio's host, its media path, or the fake's own address. */
export function mediaAddressIn(text: string, fakeBaseUrl: string): string | null {
  const found = /api\.twilio\.com|\/Recordings\/RE/i.exec(text)?.[0] ?? (text.includes(fakeBaseUrl) ? fakeBaseUrl : null);
  return found;
}

export interface RecordedCallOptions {
  /** Where the server listens (http://127.0.0.1:PORT), and its PUBLIC_BASE_URL, over which Twilio signs. */
  local: string;
  publicBaseUrl: string;
  /** The environment the first start ran with (no ThreeRing setting but the port and the data folder). */
  env: NodeJS.ProcessEnv;
  adminToken: string;
  accountSid: string;
  authToken: string;
  hotline: string;
  /** The agent the first part added. */
  firstAgent: string;
  /** The first start's log, searched for media addresses too. */
  earlierLog: string;
  say(line: string): void;
  relay(line: string): void;
}

/** The server this part started, for the caller to stop (SIGTERM) and to kill if anything failed. */
export interface StartedServer {
  process: ChildProcess;
  exited: Promise<number | null>;
  log(): string;
}

async function run(command: string, args: string[], env: NodeJS.ProcessEnv, seconds: number, relay: (line: string) => void): Promise<{ code: number | null; output: string }> {
  const child = spawn(command, args, { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const take = (chunk: Buffer) => {
    output += chunk.toString();
    for (const line of chunk.toString().split('\n')) if (line.trim()) relay(line);
  };
  child.stdout.on('data', take);
  child.stderr.on('data', take);
  const timer = setTimeout(() => child.kill('SIGKILL'), seconds * 1000);
  const code = await new Promise<number | null>((resolve) => child.once('exit', (c) => resolve(c)));
  clearTimeout(timer);
  return { code, output };
}

/** A console sign-in as a browser makes it: the form's cookie and CSRF token, then the session cookie. */
async function signIn(local: string, username: string): Promise<string> {
  const form = await fetch(`${local}/console/sign-in`, { signal: AbortSignal.timeout(REQUEST_SECONDS * 1000) });
  const formCookie = form.headers.getSetCookie()[0]?.split(';')[0];
  const csrf = /name="_csrf" value="([^"]+)"/.exec(await form.text())?.[1];
  check(formCookie && csrf, 'GET /console/sign-in gave no cookie or no CSRF token');
  const res = await fetch(`${local}/console/sign-in`, {
    method: 'POST',
    redirect: 'manual',
    headers: { Cookie: formCookie, 'Content-Type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ _csrf: csrf, username, password: PASSWORD }),
    signal: AbortSignal.timeout(REQUEST_SECONDS * 1000),
  });
  const session = res.headers.getSetCookie().find((c) => c.startsWith('threering_console='))?.split(';')[0];
  check(res.status === 303 && session, `signing in as ${username} answered ${res.status}${session ? '' : ' with no session cookie'}`);
  return session;
}

export async function recordedCall(o: RecordedCallOptions, started: (s: StartedServer) => void): Promise<StartedServer> {
  const request = (path: string, init: RequestInit = {}) => fetch(o.local + path, { ...init, signal: AbortSignal.timeout(REQUEST_SECONDS * 1000) });
  const api = async (path: string, init: RequestInit = {}) => {
    const res = await request(path, { ...init, headers: { Authorization: `Bearer ${o.adminToken}`, 'Content-Type': 'application/json' } });
    const text = await res.text();
    check(res.status < 300, `${init.method ?? 'GET'} ${path} answered ${res.status}: ${text.slice(0, 300)}`);
    return { text, body: JSON.parse(text) as any };
  };

  // 1. Two accounts, as the README says to add them while no server holds the embedded database.
  for (const [username, role] of [['smoke-supervisor', 'supervisor'], ['smoke-viewer', 'viewer']] as const) {
    const made = await run('npm', ['run', '--silent', 'create-admin', '--', '--username', username, '--role', role], { ...o.env, ADMIN_PASSWORD: PASSWORD }, ACCOUNT_SECONDS, o.relay);
    check(made.code === 0, `npm run create-admin --role ${role} exited with ${made.code}: ${made.output.slice(-300)}`);
  }
  o.say('accounts created: npm run create-admin (a supervisor, a viewer)');

  // 2. The built server again, its Twilio REST API a fake that serves a generated WAV for any recording.
  const audio = sineWav({ seconds: 2 });
  const rest = new FakeTwilioRest({ accountSid: o.accountSid, authToken: o.authToken, anyRecording: { body: audio, contentType: 'audio/wav' } });
  const restUrl = await rest.listen();
  try {
    const server = spawn('node', ['dist/src/server.js'], { cwd: ROOT, env: { ...o.env, TWILIO_API_BASE_URL: restUrl }, stdio: ['ignore', 'pipe', 'pipe'] });
    let log = '';
    const take = (chunk: Buffer) => {
      log += chunk.toString();
      for (const line of chunk.toString().split('\n')) if (line.trim()) o.relay(line);
    };
    server.stdout!.on('data', take);
    server.stderr!.on('data', take);
    let exitCode: number | null | undefined;
    const exited = new Promise<number | null>((resolve) => server.once('exit', (code) => resolve((exitCode = code))));
    const handle: StartedServer = { process: server, exited, log: () => log };
    started(handle);
    const readyBy = Date.now() + READY_SECONDS * 1000;
    for (;;) {
      check(exitCode === undefined, `the server exited with code ${exitCode} before it was ready again`);
      check(Date.now() < readyBy, `GET /readyz did not answer 200 within ${READY_SECONDS}s of the second start`);
      if ((await request('/readyz').catch(() => undefined))?.status === 200) break;
      await sleep(300);
    }
    o.say(`started again on the built server, TWILIO_API_BASE_URL a fake of Twilio's REST API`);

    // 3. One call, answered: whichever agent is rung picks up, presses 1 and talks.
    await api('/api/agents', { method: 'POST', body: JSON.stringify({ name: 'Smoke agent 2', phone: SECOND_AGENT }) });
    const accepts: AgentBehaviour = { does: 'accept', ringSeconds: 1, pressAfterSeconds: 1, talkSeconds: TALK_SECONDS, hangsUpFirst: 'caller' };
    const played = await Promise.race([
      runSimulation({
        targetUrl: o.local,
        publicBaseUrl: o.publicBaseUrl,
        authToken: o.authToken,
        accountSid: o.accountSid,
        hotline: o.hotline,
        agentPhones: [o.firstAgent, SECOND_AGENT],
        calls: 1,
        scripts: [{ from: CALLER, to: o.hotline, agents: { [o.firstAgent]: accepts, [SECOND_AGENT]: accepts }, rates: false }],
        concurrency: 1,
        seed: 1,
        clock: new ScaledClock(1),
        rest,
      }),
      sleep(CALL_SECONDS * 1000).then(() => null),
    ]);
    check(played, `the answered call did not end within ${CALL_SECONDS}s`);
    const lived = played.transcripts[0];
    check(played.failedCalls === 0 && played.errors.length === 0 && lived, `the call failed: ${played.errors.join('; ')}`);
    check(lived.bridgedTo, `the call was not put through (rang ${lived.dialed.map(maskPhone).join(', ')})`);
    check(lived.recordingSid, 'the bridged <Dial> was not recorded (no record attribute or no recordingStatusCallback)');
    o.say(`answered call: put through to ${maskPhone(lived.bridgedTo)}, talked ${TALK_SECONDS}s, the recording reported by a signed callback`);

    // 4. On record.
    const calls = await api('/api/calls');
    const call = (calls.body.calls as { id: string; callSid: string }[]).find((c) => c.callSid === lived.callSid);
    check(call, 'the answered call is not in GET /api/calls');
    const listed = await api('/api/recordings');
    const recording = (listed.body.recordings as { id: string; callId: string; status: string; seconds: number; channels: number }[]).find((r) => r.callId === call.id);
    check(recording, `the answered call has no recording in GET /api/recordings: ${listed.text.slice(0, 300)}`);
    check(recording.status === 'available' && recording.seconds === TALK_SECONDS && recording.channels === 2, `the recording on record: ${JSON.stringify(recording)}`);
    o.say(`on record: recording ${recording.id}, ${recording.seconds}s on ${recording.channels} channels, ${recording.status}`);

    // 5. The supervisor: the call page's player, and the API with their session, both with Range.
    const supervisor = await signIn(o.local, 'smoke-supervisor');
    const page = await request(`/console/calls/${call.id}`, { headers: { Cookie: supervisor } });
    const pageHtml = await page.text();
    check(page.status === 200, `the supervisor's call page answered ${page.status}`);
    const src = /<audio [^>]*src="([^"]+)"/.exec(pageHtml)?.[1]?.replace(/&amp;/g, '&');
    check(src && src.startsWith(`/api/calls/${call.id}/recording?`), `the supervisor's call page has no player of the product's own address: ${src ?? 'no <audio>'}`);
    const played206 = await request(src, { headers: { Range: 'bytes=0-' } });
    const bytes = Buffer.from(await played206.arrayBuffer());
    check(played206.status === 206, `the call page's player got ${played206.status}, not 206 for Range bytes=0-`);
    check(played206.headers.get('content-type') === 'audio/wav' && bytes.equals(audio), 'the player did not get the recording\'s audio');
    const part = await request(`/api/calls/${call.id}/recording`, { headers: { Cookie: supervisor, Range: 'bytes=0-99' } });
    const partBytes = Buffer.from(await part.arrayBuffer());
    check(part.status === 206 && part.headers.get('content-range') === `bytes 0-99/${audio.length}` && partBytes.equals(audio.subarray(0, 100)), `GET /api/calls/:id/recording (supervisor's session, Range bytes=0-99) answered ${part.status} ${part.headers.get('content-range')}`);
    check(part.headers.get('cache-control') === 'private, no-store', `the audio was answered with Cache-Control ${part.headers.get('cache-control')}`);
    o.say('supervisor: the call page plays it (206 with Range), and GET /api/calls/:id/recording answers 206 bytes 0-99');

    // 6. The viewer: 403, and no player.
    const viewer = await signIn(o.local, 'smoke-viewer');
    const refused = await request(`/api/calls/${call.id}/recording`, { headers: { Cookie: viewer, Range: 'bytes=0-' } });
    const refusedText = await refused.text();
    check(refused.status === 403, `a viewer's session got ${refused.status} from GET /api/calls/:id/recording, not 403`);
    const viewerPage = await request(`/console/calls/${call.id}`, { headers: { Cookie: viewer } });
    const viewerHtml = await viewerPage.text();
    check(viewerPage.status === 200 && !viewerHtml.includes('<audio') && !viewerHtml.includes('/recording?'), `the viewer's call page (${viewerPage.status}) shows a player`);
    o.say('viewer: 403, and the call page shows no player');

    // 7. The agent who answered: their call page (the after-call text's link) plays their own call.
    const textBy = Date.now() + REQUEST_SECONDS * 1000;
    let text = rest.sms.find((m) => m.to === lived.bridgedTo);
    while (!text && Date.now() < textBy) {
      await sleep(200);
      text = rest.sms.find((m) => m.to === lived.bridgedTo);
    }
    const agentPath = text && new RegExp(`${o.publicBaseUrl.replace(/[.:/]/g, '\\$&')}(/m/calls/[A-Za-z0-9_.-]+)`).exec(text.body)?.[1];
    check(text && agentPath, `the agent who answered got no after-call text with their call page (${rest.sms.length} texts sent)`);
    const agentPage = await request(agentPath);
    const agentHtml = await agentPage.text();
    const agentSrc = /<audio [^>]*src="([^"]+)"/.exec(agentHtml)?.[1]?.replace(/&amp;/g, '&');
    check(agentPage.status === 200 && agentSrc && agentSrc.startsWith(`/api/calls/${call.id}/recording?`), `the agent's call page (${agentPage.status}) has no player of the product's own address`);
    const agentPlayed = await request(agentSrc, { headers: { Range: 'bytes=0-' } });
    await agentPlayed.arrayBuffer();
    check(agentPlayed.status === 206, `the agent's own player got ${agentPlayed.status}, not 206`);
    const inspection = await request(`/console/qc/calls/${call.id}`, { headers: { Cookie: supervisor } });
    const inspectionHtml = await inspection.text();
    check(inspection.status === 200 && inspectionHtml.includes('<audio'), `the QC review page (${inspection.status}) has no player`);
    o.say('agent: their call page (the after-call text) plays their own call (206); the QC page has its player');

    // 8. The listens, audited.
    const listens = await api(`/api/recordings/${recording.id}/listens`);
    const heard = listens.body.listens as { actor: string; at: string; ip: string | null }[];
    const byActor = heard.filter((l) => l.actor === 'account:smoke-supervisor');
    check(byActor.length === 2 && byActor.every((l) => l.at && l.ip), `GET /api/recordings/:id/listens does not show the supervisor's two listens: ${listens.text.slice(0, 300)}`);
    check(heard.filter((l) => l.actor.startsWith('agent:')).length === 1, `GET /api/recordings/:id/listens does not show the agent's listen: ${listens.text.slice(0, 300)}`);
    check(!listens.text.includes('smoke-viewer'), 'the viewer\'s refused request was counted as a listen');
    o.say('listens: the supervisor\'s two and the agent\'s, with time and address; none for the viewer');

    // 9. No Twilio media address anywhere a person or a log reader sees.
    const answers = [listed.text, listens.text, calls.text, (await api(`/api/calls/${call.id}`)).text, (await api(`/api/calls/${call.id}/recordings`)).text, refusedText];
    const seen: [string, string][] = [
      ['the supervisor\'s call page', pageHtml],
      ['the viewer\'s call page', viewerHtml],
      ['the agent\'s call page', agentHtml],
      ['the QC review page', inspectionHtml],
      ['the after-call text', text.body],
      ...answers.map((a, i) => [`API answer ${i + 1}`, a] as [string, string]),
      ['the first start\'s log', o.earlierLog],
      ['the server\'s log', log],
    ];
    for (const [where, text] of seen) {
      const found = mediaAddressIn(text, restUrl);
      check(!found, `${where} holds a Twilio media address (${found})`);
    }
    check(rest.mediaRequests.length === 3 && rest.mediaRequests.every((m) => m.range?.startsWith('bytes=0-')), `the server asked Twilio for the audio ${rest.mediaRequests.length} times (${rest.mediaRequests.map((m) => m.range).join(', ')}), not 3 times with the listener's Range`);
    o.say(`no Twilio media address in ${seen.length} pages, API answers and logs`);
    return handle;
  } finally {
    await rest.close();
  }
}
