import { callerLeftFirst, turnedAwayAt, type EndedCall } from '../domain/who-left-first';
import type { FakeTwilioRest } from './fake-twilio-rest';
import { httpTransport, type WebhookTiming } from './http-transport';
import { RealTimeline, type ScaledClock } from './real-time';
import { seededRandom } from './seeded-random';
import type { TwimlNode } from './twiml-tree';
import { TwilioModel, type AgentBehaviour, type CallScript, type CallTranscript, type GatherReply, type Network, type Transport } from './twilio-model';

/**
 * Plays a stream of generated calls against a running ThreeRing server in real (or scaled) time,
 * through the same Twilio model the tests use: signed webhooks over HTTP, the TwiML followed,
 * agents who answer, ring out or let voicemail pick up, callers who hang up or rate.
 */
export interface SimulationOptions {
  /** Where requests go (e.g. http://127.0.0.1:3000). */
  targetUrl: string;
  /** The server's PUBLIC_BASE_URL, over which Twilio signs. */
  publicBaseUrl: string;
  authToken: string;
  accountSid: string;
  /** The hotline number callers dial. */
  hotline: string;
  /** The agents' phones (as on the roster): each call gives each a behaviour. */
  agentPhones: string[];
  calls: number;
  /** The callers to play instead of `calls` generated ones (a scripted scenario, as the demo's good day). */
  scripts?: (CallScript & { rates: boolean })[];
  concurrency: number;
  seed: number;
  clock: ScaledClock;
  /** Longest talk, in seconds of call time (default 90). */
  maxTalkSeconds?: number;
  network?: Network;
  /** The fake of Twilio's REST API the server reaches: its call redirects move this run's calls. */
  rest?: FakeTwilioRest;
  /** Wraps the HTTP transport: what Twilio does when a connection fails, checks on every answer (the load run). */
  wrapTransport?(transport: Transport): Transport;
  onCallDone?(done: number, total: number): void;
}

export type LivedOutcome = 'answered' | 'missed' | 'abandoned';

export interface SimulationResult {
  transcripts: CallTranscript[];
  /** What each caller lived: put through to a person, turned away by the hotline, or hung up first. */
  lived: Record<LivedOutcome, number>;
  rated: number;
  /** Calls the simulator could not play to their end (a webhook answered an error, say). */
  failedCalls: number;
  /** Why: every failed call or status callback, in the order they failed. */
  errors: string[];
  /** Agents' phones rung while already on a hotline leg (a routing fault). */
  doubleRung: string[];
  timings: WebhookTiming[];
  wallSeconds: number;
}

/** What the caller lived, read from the transcript (the same reading as the property tests'). */
export function livedOutcome(t: CallTranscript): LivedOutcome {
  if (t.bridgedTo) return 'answered';
  return t.callerHungUp && !t.endedByHotline ? 'abandoned' : 'missed';
}

/**
 * Whether an ended call's outcome on record is the one its caller lived, by the rule the hotline
 * keeps (src/domain/who-left-first.ts): a caller who hung up after the hotline had turned them
 * away (its apology still playing, or on its way to them) was missed, though their own hang-up
 * ended the leg; only one who left before that moment abandoned the call.
 */
export function recordAgrees(t: CallTranscript, onRecord: EndedCall, maxCallerWaitSeconds: number): boolean {
  const lived = livedOutcome(t);
  if (onRecord.outcome === lived) return true;
  if (onRecord.outcome !== 'missed' || lived !== 'abandoned' || !t.hungUpAt) return false;
  const turnedAway = turnedAwayAt(onRecord, maxCallerWaitSeconds);
  // Twilio stamps the hang-up in whole seconds, as the hotline reads it.
  const leftAt = new Date(Math.floor(t.hungUpAt.getTime() / 1000) * 1000);
  return turnedAway !== null && !callerLeftFirst(leftAt, turnedAway);
}

/** One generated caller and the behaviour of every agent's phone for that call. */
export function generateScript(rand: () => number, o: { hotline: string; agentPhones: string[]; maxTalkSeconds: number }): CallScript & { rates: boolean } {
  const pick = (n: number) => Math.floor(rand() * n);
  const agents: Record<string, AgentBehaviour> = {};
  for (const phone of o.agentPhones) {
    const r = rand();
    if (r < 0.55) agents[phone] = { does: 'accept', ringSeconds: 1 + pick(10), pressAfterSeconds: 1 + pick(2), talkSeconds: 10 + pick(Math.max(1, o.maxTalkSeconds - 10)), hangsUpFirst: rand() < 0.5 ? 'agent' : 'caller' };
    else if (r < 0.8) agents[phone] = { does: 'ring-out' };
    else if (r < 0.92) agents[phone] = { does: 'voicemail', ringSeconds: 4 + pick(8) };
    else agents[phone] = { does: 'busy' };
  }
  // Callers: most wait as long as it takes; some give up after a while.
  const impatient = rand() < 0.2;
  const rates = rand() < 0.7;
  const score = String(1 + pick(5));
  const onGather = (gather: TwimlNode): GatherReply => (rates && gather.attrs.action?.includes('/voice/rating') ? { digits: score } : 'hang-up');
  return {
    from: `+86139${String(pick(100_000_000)).padStart(8, '0')}`,
    to: o.hotline,
    agents,
    hangsUpAfterSeconds: impatient ? 3 + pick(40) : undefined,
    onGather,
    rates,
  };
}

export async function runSimulation(o: SimulationOptions): Promise<SimulationResult> {
  const timings: WebhookTiming[] = [];
  const timeline = new RealTimeline(o.clock);
  const model = new TwilioModel({
    authToken: o.authToken,
    accountSid: o.accountSid,
    timeline,
    network: o.network,
    // Hold music plays in 20 s stretches; the hold document asks again after each.
    playSeconds: 20,
    transport: (o.wrapTransport ?? ((t) => t))(httpTransport({ targetUrl: o.targetUrl, publicBaseUrl: o.publicBaseUrl, onTiming: (t) => timings.push(t) })),
  });
  if (o.rest) o.rest.model = model;
  const rand = seededRandom(o.seed);
  const scripts = o.scripts ?? Array.from({ length: o.calls }, () => generateScript(rand, { hotline: o.hotline, agentPhones: o.agentPhones, maxTalkSeconds: o.maxTalkSeconds ?? 90 }));
  const urls = { incoming: `${o.publicBaseUrl}/webhooks/voice/incoming`, status: `${o.publicBaseUrl}/webhooks/voice/status` };
  const transcripts: CallTranscript[] = [];
  const lived: Record<LivedOutcome, number> = { answered: 0, missed: 0, abandoned: 0 };
  let rated = 0;
  let failed = 0;
  let next = 0;
  let done = 0;
  const started = performance.now();
  const worker = async () => {
    while (next < scripts.length) {
      const script = scripts[next++]!;
      try {
        const t = await model.placeCall(script, urls);
        transcripts.push(t);
        lived[livedOutcome(t)]++;
        if (t.bridgedTo && script.rates && t.documents.some((d) => d.children.some((c) => c.name === 'Gather' && c.attrs.action?.includes('/voice/rating')))) rated++;
      } catch {
        // Recorded with its reason in the timeline's failures, below.
        failed++;
      }
      o.onCallDone?.(++done, scripts.length);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(o.concurrency, scripts.length)) }, worker));
  // Late and repeated status callbacks (with a network) are still on their way.
  await timeline.run();
  const errors = timeline.failures.map((f) => (f instanceof Error ? f.message : String(f)).slice(0, 300));
  return { transcripts, lived, rated, failedCalls: failed, errors, doubleRung: model.doubleRung, timings, wallSeconds: (performance.now() - started) / 1000 };
}

/** p-th percentile (0–100) of a list of numbers, by nearest rank. */
export function percentile(values: number[], p: number): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}
