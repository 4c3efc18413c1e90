import { randomBytes } from 'node:crypto';
import twilio from 'twilio';
import { speechSeconds } from '../domain/speech';
import { Wakeup, type SimTime } from './timeline';
import { find, parseTwiml, saysOf, type TwimlNode } from './twiml-tree';

/**
 * A model of Twilio's voice platform, in virtual time: it places a call, signs every webhook the
 * way Twilio does, follows the TwiML it gets back (<Say> spoken at a realistic pace, <Gather>
 * cut short by a key, <Play>, <Dial> with an agent's phone that rings, picks up and runs the
 * whisper, <Record>, <Redirect>), obeys REST redirects of a live call, and sends the agent leg's
 * status callbacks with Twilio's Timestamps and SequenceNumbers. The tests drive the server with
 * it; it records what the caller lived through (when the first phone rang, when they were put
 * through) so that tests compare the record with the lived call.
 */
export type AgentBehaviour =
  | {
      does: 'accept';
      /** Seconds the phone rings before the agent picks up (default 3). */
      ringSeconds?: number;
      /** Seconds after picking up that the agent presses 1 (default 1; a key press cuts the whisper short). */
      pressAfterSeconds?: number;
      talkSeconds?: number;
      hangsUpFirst?: 'agent' | 'caller';
      /** Runs at the end of the talk while both are still on the line (e.g. the agent uses their call page). */
      whileTalking?: () => Promise<void>;
    }
  | { does: 'ring-out' }
  | { does: 'busy' }
  | { does: 'fail' }
  | { does: 'voicemail'; ringSeconds?: number }
  | { does: 'press'; digit: string; ringSeconds?: number; pressAfterSeconds?: number };

export type GatherReply = { digits: string } | 'silence' | 'hang-up';

export interface CallScript {
  from: string;
  to: string;
  callSid?: string;
  /** How each agent endpoint behaves when rung for this call; unlisted endpoints ring out. */
  agents?: Record<string, AgentBehaviour>;
  /** The caller hangs up 3 s into the ringing of this attempt (0-based). */
  callerHangsUpDuringAttempt?: number;
  /** The caller hangs up this many seconds after arriving, wherever the call is then (holding, ringing, whisper, talk). */
  hangsUpAfterSeconds?: number;
  legEvents?: 'in-order' | 'reversed' | 'duplicated';
  /** The caller's answer to a <Gather> that asks something of them (e.g. the rating); default: hangs up. */
  onGather?: (gather: TwimlNode, transcript: CallTranscript) => GatherReply;
  /** Twilio's CallerName (caller ID name lookup), when the number has it. */
  callerName?: string;
  /** Skip the number's final "completed" status callback (a lost callback). */
  skipFinalStatus?: boolean;
  /** Presses a key during the hold prompt before attempt n (or in the waiting line), `afterSeconds` into it (default 1). */
  pressWhileHolding?: { beforeAttempt: number; digit: string; afterSeconds?: number };
  /** Leaves a voice message at a <Record>; otherwise the caller hangs up at the beep. */
  voiceMessage?: { seconds: number };
}

export interface CallTranscript {
  callSid: string;
  arrivedAt: Date;
  callerHeard: string[];
  whispers: string[];
  dialed: string[];
  dialTimeouts: number[];
  childCallSids: string[];
  bridgedTo: string | null;
  callerHungUp: boolean;
  documents: TwimlNode[];
  voiceMessageSid?: string;
  /** A recorded <Dial>'s recording (record=...), reported to its recordingStatusCallback once the talk is over. */
  recordingSid?: string;
  /** Seconds from arrival until the first agent's phone rang, as the caller lived it. */
  firstRingAfterSeconds: number | null;
  /** Seconds from arrival until the caller was put through to a person, as they lived it. */
  waitedSeconds: number | null;
  /** Seconds the caller spent on hold documents (hold music) waiting for a free agent. */
  heldSeconds: number;
  /** The hotline ended the call (an apology, a <Hangup/>, the voice message) before the caller hung up. */
  endedByHotline: boolean;
  /** What the agent who was put through heard before the bridge (whisper, cue). */
  bridgedWhispers: string[];
  /** When the caller's leg ended. */
  hungUpAt: Date | null;
  /** When each document in `documents` began to play, on the model's clock. */
  documentTimes: Date[];
  /** Each <Dial> of an agent: the endpoint and when the dial began. */
  dials: { endpoint: string; at: Date }[];
  /** Spans spent on documents with hold music (the waiting line), from their start to when the caller left them. */
  lineSpans: { from: Date; to: Date }[];
}

/** Delivers a signed webhook to the server under test and returns its answer. */
export type Transport = (url: string, params: Record<string, string>, signature: string) => Promise<{ status: number; text: string }>;

/**
 * How Twilio's requests travel, for tests of order and failure. Status callbacks are separate
 * HTTP requests with no guaranteed order: each may arrive late or twice. A request Twilio waits
 * on (the agent's key press) may be answered too late, past Twilio's 15 s: Twilio then carries
 * on as if it failed, and the server still handles the request afterwards.
 */
export interface Network {
  callback(): { delaySeconds: number; twice: boolean };
  lateKeyPress(): number | null;
  /** Which of `n` server instances (behind a load balancer) gets the next request. */
  instance?(n: number): number;
}

export interface ModelOptions {
  authToken: string;
  accountSid: string;
  /** Virtual time (tests) or real time, perhaps scaled (the simulator against a running server). */
  timeline: SimTime;
  transport: Transport;
  /** Seconds between a <Dial> starting and the agent's phone ringing (carrier post-dial delay). */
  postDialDelaySeconds?: number;
  /** Seconds one <Play> lasts (hold music files are minutes long; a test wants less). */
  playSeconds?: number;
  /** Without it, every callback arrives once, in order, before Twilio's next request. */
  network?: Network;
}

export const randomSid = (prefix = 'CA') => prefix + randomBytes(16).toString('hex');

/** Verbs Twilio runs on a <Number url> (the whisper): anything else fails the agent's leg. */
const WHISPER_VERBS = new Set(['Say', 'Play', 'Pause', 'Gather', 'Hangup']);

interface LegEvent {
  CallStatus: string;
  SequenceNumber: number;
  Timestamp: string;
  CallDuration?: number;
}

/** A live caller leg: REST redirects reach it here. */
interface LiveCall {
  redirectTo: string | null;
  wakeup: Wakeup;
}

type Step = { next: TwimlNode } | { end: true } | { redirected: true } | null;

export class TwilioModel {
  private readonly live = new Map<string, LiveCall>();
  /** Endpoints with a leg up right now: ringing one twice at once is a routing fault. */
  private readonly busyEndpoints = new Set<string>();
  /** Endpoints that were rung while already on a leg. */
  readonly doubleRung: string[] = [];
  /** Every agent leg that was up (ringing, whisper or talk), with its times: who was busy when. */
  readonly legLog: { endpoint: string; from: Date; to: Date }[] = [];
  private readonly legSince = new Map<string, Date>();

  constructor(private readonly o: ModelOptions) {}

  private get t(): SimTime {
    return this.o.timeline;
  }

  /** POSTs form parameters to a webhook URL, signed with the account's auth token. */
  async post(url: string, params: Record<string, string>, signature?: string) {
    return this.o.transport(url, params, signature ?? twilio.getExpectedTwilioSignature(this.o.authToken, url, params));
  }

  private async fetchTwiml(url: string, params: Record<string, string>): Promise<TwimlNode> {
    const res = await this.post(url, params);
    if (res.status !== 200) throw new Error(`Twilio got ${res.status} from ${url}: ${res.text}`);
    return parseTwiml(res.text);
  }

  /** What Twilio does on a REST call update: the caller's leg leaves its current TwiML for url. */
  redirectCall(callSid: string, url: string): boolean {
    const leg = this.live.get(callSid);
    if (!leg) return false;
    leg.redirectTo = url;
    leg.wakeup.fire();
    return true;
  }

  isLive(callSid: string): boolean {
    return this.live.has(callSid);
  }

  /** Starts one inbound call on the timeline, `afterSeconds` from now; resolves when the caller's leg is over. */
  placeCall(script: CallScript, urls: { incoming: string; status: string }, afterSeconds = 0): Promise<CallTranscript> {
    return this.t.spawn(async () => {
      if (afterSeconds > 0) await this.t.sleep(afterSeconds);
      return this.runCall(script, urls.incoming, urls.status);
    });
  }

  private async runCall(script: CallScript, incomingUrl: string, statusUrl: string): Promise<CallTranscript> {
    const callSid = script.callSid ?? randomSid();
    const arrivedAt = this.t.now();
    const t: CallTranscript = { callSid, arrivedAt, callerHeard: [], whispers: [], dialed: [], dialTimeouts: [], childCallSids: [], bridgedTo: null, callerHungUp: false, documents: [], firstRingAfterSeconds: null, waitedSeconds: null, heldSeconds: 0, endedByHotline: false, bridgedWhispers: [], hungUpAt: null, documentTimes: [], dials: [], lineSpans: [] };
    const base: Record<string, string> = { AccountSid: this.o.accountSid, CallSid: callSid, From: script.from, To: script.to, Caller: script.from, Called: script.to, Direction: 'inbound', ApiVersion: '2010-04-01', ...(script.callerName ? { CallerName: script.callerName } : {}) };
    const leg: LiveCall = { redirectTo: null, wakeup: new Wakeup() };
    this.live.set(callSid, leg);
    const run = new CallRun(this, script, t, base, leg);
    try {
      let doc: TwimlNode | null = await this.fetchTwiml(incomingUrl, { ...base, CallStatus: 'ringing' });
      for (let step = 0; doc && step < 200; step++) doc = await run.document(doc);
    } finally {
      this.live.delete(callSid);
    }
    t.hungUpAt = this.t.now();
    if (!script.skipFinalStatus) await this.deliver(statusUrl, { ...base, CallSid: callSid, CallStatus: 'completed', Timestamp: this.t.now().toUTCString(), CallbackSource: 'call-progress-events' });
    return t;
  }

  /** The number's "call status changes" webhook for the caller's leg. */
  async callStatus(url: string, callSid: string, status: string, base: Record<string, string> = {}) {
    await this.send(url, { ...base, CallSid: callSid, CallStatus: status, Timestamp: this.t.now().toUTCString(), CallbackSource: 'call-progress-events' });
  }

  /** A status callback: at once, or (with a Network) late and perhaps twice, in its own process. */
  async deliver(url: string, params: Record<string, string>): Promise<void> {
    const net = this.o.network;
    if (!net) return this.send(url, params);
    const { delaySeconds, twice } = net.callback();
    void this.t
      .spawn(async () => {
        await this.t.sleep(delaySeconds);
        await this.send(url, params);
        if (twice) {
          await this.t.sleep(net.callback().delaySeconds);
          await this.send(url, params);
        }
      })
      .catch(() => undefined);
  }

  /** Sends a request whose answer Twilio ignores, later, in its own process (a late key press). */
  sendLate(url: string, params: Record<string, string>, afterSeconds: number): void {
    void this.t
      .spawn(async () => {
        await this.t.sleep(afterSeconds);
        const res = await this.post(url, params);
        if (res.status >= 500) throw new Error(`late request got ${res.status} from ${url}: ${res.text}`);
      })
      .catch(() => undefined);
  }

  private async send(url: string, params: Record<string, string>): Promise<void> {
    const res = await this.post(url, params);
    if (res.status >= 300) throw new Error(`status callback got ${res.status} from ${url}: ${res.text}`);
  }

  /** @internal the pieces CallRun uses */
  get timeline(): SimTime {
    return this.t;
  }
  get options(): ModelOptions {
    return this.o;
  }
  fetch(url: string, params: Record<string, string>): Promise<TwimlNode> {
    return this.fetchTwiml(url, params);
  }
  legUp(endpoint: string): boolean {
    if (this.busyEndpoints.has(endpoint)) {
      this.doubleRung.push(endpoint);
      return false;
    }
    this.busyEndpoints.add(endpoint);
    this.legSince.set(endpoint, this.t.now());
    return true;
  }
  legDown(endpoint: string): void {
    this.busyEndpoints.delete(endpoint);
    this.legLog.push({ endpoint, from: this.legSince.get(endpoint) ?? this.t.now(), to: this.t.now() });
    this.legSince.delete(endpoint);
  }
}

/** One caller's leg following its TwiML, verb by verb. */
class CallRun {
  private attempt = 0;

  constructor(
    private readonly m: TwilioModel,
    private readonly script: CallScript,
    private readonly t: CallTranscript,
    private readonly base: Record<string, string>,
    private readonly leg: LiveCall,
  ) {}

  private get time(): SimTime {
    return this.m.timeline;
  }

  private inProgress(extra: Record<string, string> = {}) {
    return { ...this.base, CallStatus: 'in-progress', ...extra };
  }

  /** Runs one document; returns the next one, or null when the call is over. */
  async document(doc: TwimlNode): Promise<TwimlNode | null> {
    const from = this.time.now();
    this.t.documentTimes.push(from);
    try {
      return await this.runDocument(doc);
    } finally {
      // Hold music: the caller was waiting in the line for this span.
      if (doc.children.some((c) => c.name === 'Play' || (c.name === 'Gather' && c.children.some((g) => g.name === 'Play')))) this.t.lineSpans.push({ from, to: this.time.now() });
    }
  }

  private async runDocument(doc: TwimlNode): Promise<TwimlNode | null> {
    this.t.documents.push(doc);
    for (const verb of doc.children) {
      const step = await this.verb(verb, doc);
      if (!step) continue;
      if ('next' in step) return step.next;
      if ('end' in step) return null;
      return this.followRedirect();
    }
    // A REST redirect that arrived while the last verb ran still moves the call.
    if (this.leg.redirectTo) return this.followRedirect();
    this.t.endedByHotline = true;
    return null;
  }

  private async followRedirect(): Promise<TwimlNode> {
    const url = this.leg.redirectTo!;
    this.leg.redirectTo = null;
    this.leg.wakeup.consume();
    return this.m.fetch(url, this.inProgress());
  }

  /** Seconds until the caller hangs up of their own accord (Infinity if they never do). */
  private patience(): number {
    const limit = this.script.hangsUpAfterSeconds;
    return limit === undefined ? Infinity : Math.max(0, limit - this.time.since(this.t.arrivedAt));
  }

  /** The caller listens for `seconds`, unless a REST redirect moves the call or they hang up first. */
  private async listen(seconds: number): Promise<'done' | 'redirected' | 'hung-up'> {
    const left = this.patience();
    const woke = await this.time.waitFor(this.leg.wakeup, Math.min(seconds, left));
    if (woke === 'woken') return 'redirected';
    if (left <= seconds) {
      this.t.callerHungUp = true;
      return 'hung-up';
    }
    return 'done';
  }

  /** A stretch of a <Dial> (ringing, whisper, talk): true when the caller hung up during it. */
  private async callerGoneDuring(seconds: number): Promise<boolean> {
    const left = this.patience();
    await this.time.sleep(Math.min(seconds, left));
    if (left > seconds) return false;
    this.t.callerHungUp = true;
    return true;
  }

  private async verb(verb: TwimlNode, doc: TwimlNode): Promise<Step> {
    switch (verb.name) {
      case 'Say':
        this.t.callerHeard.push(verb.text);
        return this.listenStep(speechSeconds(verb.text));
      case 'Play':
        return this.listenStep(this.playSeconds(verb));
      case 'Pause':
        return this.listenStep(Number(verb.attrs.length ?? 1));
      case 'Gather':
        return this.gather(verb);
      case 'Dial':
        return this.dial(verb);
      case 'Redirect':
        return { next: await this.m.fetch(verb.text, this.inProgress()) };
      case 'Record':
        this.t.endedByHotline = true;
        if (!this.script.voiceMessage) return { end: true };
        return { next: await this.leaveMessage(verb, this.script.voiceMessage.seconds) };
      case 'Hangup':
      case 'Reject':
        this.t.endedByHotline = !this.t.callerHungUp;
        return { end: true };
      default:
        throw new Error(`Twilio cannot run <${verb.name}> in a caller's document: ${JSON.stringify(doc)}`);
    }
  }

  private playSeconds(verb: TwimlNode): number {
    const loops = Number(verb.attrs.loop ?? 1);
    return (this.m.options.playSeconds ?? 30) * (loops > 0 ? loops : 1000);
  }

  private async listenStep(seconds: number): Promise<Step> {
    const r = await this.listen(seconds);
    if (r === 'redirected') return { redirected: true };
    if (r === 'hung-up') return { end: true };
    return null;
  }

  /**
   * A <Gather> on the caller's leg: its nested prompts play until a key cuts them short. The
   * caller's key comes from the script: a press while holding (callback offer), or their answer
   * to a question (the rating).
   */
  private async gather(gather: TwimlNode): Promise<Step> {
    const holding = this.isHoldPrompt(gather);
    const started = this.time.now();
    if (holding && this.script.pressWhileHolding?.beforeAttempt === this.attempt) {
      const press = this.script.pressWhileHolding;
      this.t.callerHeard.push(...saysOf(gather));
      const r = await this.listen(press.afterSeconds ?? 1);
      this.t.heldSeconds += this.time.since(started);
      if (r === 'redirected') return { redirected: true };
      if (r === 'hung-up') return { end: true };
      return { next: await this.m.fetch(gather.attrs.action!, this.inProgress({ Digits: press.digit })) };
    }
    if (!holding) {
      this.t.callerHeard.push(...saysOf(gather));
      const reply = this.script.onGather ? this.script.onGather(gather, this.t) : 'hang-up';
      if (reply === 'hang-up') {
        this.t.callerHungUp = true;
        return { end: true };
      }
      const prompt = this.promptSeconds(gather);
      if (reply !== 'silence') {
        await this.time.sleep(prompt + 2);
        return { next: await this.m.fetch(gather.attrs.action!, this.inProgress({ Digits: reply.digits })) };
      }
      await this.time.sleep(prompt + Number(gather.attrs.timeout ?? 5));
      if (gather.attrs.actionOnEmptyResult === 'true') return { next: await this.m.fetch(gather.attrs.action!, this.inProgress({ Digits: '' })) };
      return null;
    }
    // Holding without a key: the nested prompts, then the Gather's timeout, then what follows it.
    for (const child of gather.children) {
      const step = await this.verb(child, gather);
      if (step) return this.countHeld(started, step);
    }
    return this.countHeld(started, await this.listenStep(Number(gather.attrs.timeout ?? 5)));
  }

  private countHeld(started: Date, step: Step): Step {
    this.t.heldSeconds += this.time.since(started);
    return step;
  }

  /** Prompts the caller only listens to (the hold message, the waiting line), as opposed to a question. */
  private isHoldPrompt(gather: TwimlNode): boolean {
    const action = gather.attrs.action ?? '';
    return action.includes('/voice/callback-offer') || gather.children.some((c) => c.name === 'Play');
  }

  private promptSeconds(node: TwimlNode): number {
    return node.children.reduce((s, c) => s + (c.name === 'Say' ? speechSeconds(c.text) : c.name === 'Pause' ? Number(c.attrs.length ?? 1) : 0), 0);
  }

  /** The caller speaks after the beep and presses #: Twilio posts the <Record> action and the recording status. */
  private async leaveMessage(record: TwimlNode, seconds: number): Promise<TwimlNode> {
    await this.time.sleep(seconds);
    const sid = randomSid('RE');
    this.t.voiceMessageSid = sid;
    const recording = { RecordingSid: sid, RecordingUrl: `https://api.twilio.com/2010-04-01/Accounts/${this.base.AccountSid}/Recordings/${sid}`, RecordingDuration: String(seconds) };
    const next = await this.m.fetch(record.attrs.action!, this.inProgress({ Digits: '#', ...recording }));
    if (record.attrs.recordingStatusCallback) {
      const res = await this.m.post(record.attrs.recordingStatusCallback, { AccountSid: this.base.AccountSid!, CallSid: this.base.CallSid!, ...recording, RecordingStatus: 'completed', RecordingChannels: '1', RecordingSource: 'RecordVerb' });
      if (res.status >= 300) throw new Error(`recording status got ${res.status}: ${res.text}`);
    }
    return next;
  }

  /** A recorded <Dial> that was bridged: Twilio posts the finished recording (from the bridge, so without the whisper). */
  private async reportRecording(dial: TwimlNode, behaviour: AgentBehaviour): Promise<void> {
    const url = dial.attrs.recordingStatusCallback;
    if (!url || !dial.attrs.record || dial.attrs.record === 'do-not-record' || dial.attrs.record === 'false') return;
    const sid = randomSid('RE');
    this.t.recordingSid = sid;
    const seconds = behaviour.does === 'accept' ? (behaviour.talkSeconds ?? 60) : 0;
    const res = await this.m.post(url, {
      AccountSid: this.base.AccountSid!,
      CallSid: this.base.CallSid!,
      RecordingSid: sid,
      RecordingUrl: `https://api.twilio.com/2010-04-01/Accounts/${this.base.AccountSid}/Recordings/${sid}`,
      RecordingStatus: 'completed',
      RecordingDuration: String(seconds),
      RecordingChannels: dial.attrs.record.endsWith('-dual') ? '2' : '1',
      RecordingSource: 'DialVerb',
      RecordingTrack: 'both',
    });
    if (res.status >= 300) throw new Error(`recording status got ${res.status}: ${res.text}`);
  }

  /**
   * One <Dial>: the agent's phone rings, picks up and runs the whisper, as the script says; the
   * caller may hang up at any point of it. Then Twilio asks the Dial action what next.
   */
  private async dial(dial: TwimlNode): Promise<Step> {
    const attempt = this.attempt++;
    const number = dial.children[0]!;
    const endpoint = number.text;
    let behaviour: AgentBehaviour = this.script.agents?.[endpoint] ?? { does: 'ring-out' };
    const timeout = Number(dial.attrs.timeout ?? 30);
    const childSid = randomSid();
    this.t.dialed.push(endpoint);
    this.t.dials.push({ endpoint, at: this.time.now() });
    this.t.dialTimeouts.push(timeout);
    this.t.childCallSids.push(childSid);
    const childBase = { AccountSid: this.base.AccountSid!, CallSid: childSid, ParentCallSid: this.base.CallSid!, From: this.base.To!, To: endpoint, Direction: 'outbound-dial' };
    const leg = new AgentLeg(this.m, number, childSid, this.script.legEvents);

    // A phone already on a hotline leg answers busy (and the model notes the fault).
    const up = this.m.legUp(endpoint);
    if (!up) behaviour = { does: 'busy' };
    let dialStatus = 'no-answer';
    let bridged = false;
    let callerGone = false;
    try {
      leg.event('initiated');
      if (behaviour.does === 'busy' || behaviour.does === 'fail') {
        dialStatus = behaviour.does === 'busy' ? 'busy' : 'failed';
        leg.event(dialStatus, 0);
      } else {
        const postDial = this.m.options.postDialDelaySeconds ?? 1;
        callerGone = await this.callerGoneDuring(postDial);
        if (!callerGone) {
          leg.event('ringing');
          this.t.firstRingAfterSeconds ??= this.time.since(this.t.arrivedAt);
        }
        const ringFor = this.script.callerHangsUpDuringAttempt === attempt ? 3 : behaviour.does === 'ring-out' ? timeout + 5 - postDial : (behaviour.ringSeconds ?? 3);
        if (!callerGone) callerGone = await this.callerGoneDuring(ringFor);
        if (!callerGone && this.script.callerHangsUpDuringAttempt === attempt) callerGone = this.t.callerHungUp = true;
        if (callerGone) {
          dialStatus = 'canceled';
          leg.event('canceled', 0);
        } else if (behaviour.does === 'ring-out') {
          leg.event('no-answer', 0);
        } else {
          const answeredAt = this.time.now();
          leg.event('in-progress');
          await leg.flush();
          const whisper = await this.whisper(number, behaviour, childBase);
          callerGone = whisper === 'caller-gone';
          bridged = whisper === 'bridged';
          dialStatus = 'completed';
          if (bridged) {
            this.t.bridgedTo = endpoint;
            this.t.waitedSeconds = this.time.since(this.t.arrivedAt);
            if (behaviour.does === 'accept') {
              const talk = behaviour.talkSeconds ?? 60;
              const patience = this.patience();
              const woke = await this.time.waitFor(this.leg.wakeup, Math.min(talk, patience));
              if (woke === 'timeout' && patience < talk) callerGone = this.t.callerHungUp = true;
              else if (woke === 'timeout' && behaviour.whileTalking) await behaviour.whileTalking();
              if (!callerGone && behaviour.hangsUpFirst === 'caller' && !this.leg.redirectTo) callerGone = this.t.callerHungUp = true;
            }
          }
          leg.event('completed', Math.round(this.time.since(answeredAt)));
        }
      }
    } finally {
      if (up) this.m.legDown(endpoint);
    }
    await leg.flush();
    const next = await this.m.fetch(dial.attrs.action!, {
      ...this.base,
      CallStatus: callerGone ? 'completed' : 'in-progress',
      DialCallStatus: dialStatus,
      DialCallSid: childSid,
      DialBridged: String(bridged),
      ...(bridged ? { DialCallDuration: '60' } : {}),
    });
    if (bridged) await this.reportRecording(dial, behaviour);
    if (callerGone) return { end: true };
    // After a REST redirect Twilio still posts the old <Dial> action but ignores its reply.
    if (this.leg.redirectTo) return { redirected: true };
    return { next };
  }

  /** The whisper on the agent's phone, in time: bridged, turned away, or the caller hung up meanwhile. */
  private async whisper(number: TwimlNode, behaviour: AgentBehaviour, childBase: Record<string, string>): Promise<'bridged' | 'not-bridged' | 'caller-gone'> {
    if (!number.attrs.url) return 'bridged';
    const doc = await this.m.fetch(number.attrs.url, { ...childBase, CallStatus: 'in-progress' });
    const bad = doc.children.find((c) => !WHISPER_VERBS.has(c.name));
    if (bad) throw new Error(`Twilio cannot run <${bad.name}> in a whisper: the agent's leg fails`);
    const heard = saysOf(doc);
    this.t.whispers.push(...heard);
    const digit = behaviour.does === 'accept' ? '1' : behaviour.does === 'press' ? behaviour.digit : null;
    const pressAfter = behaviour.does === 'accept' || behaviour.does === 'press' ? (behaviour.pressAfterSeconds ?? 1) : Infinity;
    let elapsed = 0;
    for (const verb of doc.children) {
      if (verb.name === 'Hangup') return 'not-bridged';
      if (verb.name !== 'Gather') {
        const s = verb.name === 'Say' ? speechSeconds(verb.text) : verb.name === 'Pause' ? Number(verb.attrs.length ?? 1) : (this.m.options.playSeconds ?? 30);
        if (await this.callerGoneDuring(s)) return 'caller-gone';
        elapsed += s;
        continue;
      }
      const listening = this.promptSeconds(verb) + Number(verb.attrs.timeout ?? 5);
      if (digit === null || pressAfter - elapsed > listening) {
        if (await this.callerGoneDuring(listening)) return 'caller-gone';
        elapsed += listening;
        continue;
      }
      if (await this.callerGoneDuring(Math.max(0, pressAfter - elapsed))) return 'caller-gone';
      const keyPress = { ...childBase, CallStatus: 'in-progress', Digits: digit };
      const late = this.m.options.network?.lateKeyPress() ?? null;
      if (late !== null) {
        // Past Twilio's 15 s the key press counts as failed: the agent's leg is hung up unbridged,
        // and the server handles the request afterwards all the same.
        this.m.sendLate(verb.attrs.action!, keyPress, late);
        await this.time.sleep(15);
        return 'not-bridged';
      }
      const result = await this.m.fetch(verb.attrs.action!, keyPress);
      if (find(result, 'Hangup')) return 'not-bridged';
      // Whatever the result says (an apology cue) plays to the agent before the bridge.
      const cues = result.children.filter((c) => c.name === 'Say').map((c) => c.text);
      this.t.whispers.push(...cues);
      for (const cue of cues) if (await this.callerGoneDuring(speechSeconds(cue))) return 'caller-gone';
      this.t.bridgedWhispers = [...heard, ...cues];
      return 'bridged';
    }
    this.t.bridgedWhispers = heard;
    return 'bridged';
  }
}

/** The agent's leg of one <Dial>: its status callbacks, numbered and stamped as Twilio does. */
class AgentLeg {
  private readonly events: LegEvent[] = [];
  private seq = 0;

  constructor(
    private readonly m: TwilioModel,
    private readonly number: TwimlNode,
    private readonly childSid: string,
    private readonly order: CallScript['legEvents'] = 'in-order',
  ) {}

  event(status: string, duration?: number): void {
    this.events.push({ CallStatus: status, SequenceNumber: this.seq++, Timestamp: this.m.timeline.now().toUTCString(), ...(duration !== undefined ? { CallDuration: duration } : {}) });
  }

  /** Sends the events so far: before the whisper, and when the leg is over. */
  async flush(): Promise<void> {
    const url = this.number.attrs.statusCallback;
    const events = this.events.splice(0);
    if (!url || events.length === 0) return;
    const batch = this.order === 'reversed' ? [...events].reverse() : this.order === 'duplicated' ? events.flatMap((e) => [e, e]) : events;
    for (const e of batch) {
      await this.m.deliver(url, {
        CallSid: this.childSid,
        CallStatus: e.CallStatus,
        SequenceNumber: String(e.SequenceNumber),
        Timestamp: e.Timestamp,
        CallbackSource: 'call-progress-events',
        ...(e.CallDuration !== undefined ? { CallDuration: String(e.CallDuration) } : {}),
      });
    }
  }
}
