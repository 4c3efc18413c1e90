import { randomBytes } from 'node:crypto';
import type { Express } from 'express';
import request from 'supertest';
import twilio from 'twilio';
import type { ManualClock } from './manual-clock';
import { find, parseTwiml, saysOf, type TwimlNode } from './twiml';

/**
 * A small stand-in for Twilio's voice platform: it places a call, signs every webhook the way
 * Twilio does, follows the TwiML it gets back (<Dial>, the whisper's <Gather>, <Hangup/>), and
 * plays each agent's phone as scripted, sending the agent leg's status callbacks with Twilio's
 * Timestamps and SequenceNumbers (in order, reversed, or duplicated).
 */
export type AgentBehaviour =
  | {
      does: 'accept';
      ringSeconds?: number;
      talkSeconds?: number;
      hangsUpFirst?: 'agent' | 'caller';
      /** Runs at the end of the talk while both are still on the line (e.g. the agent uses their call page). */
      whileTalking?: () => Promise<void>;
    }
  | { does: 'ring-out' }
  | { does: 'busy' }
  | { does: 'fail' }
  | { does: 'voicemail'; ringSeconds?: number }
  | { does: 'press'; digit: string; ringSeconds?: number };

export type GatherReply = { digits: string } | 'silence' | 'hang-up';

export interface CallScript {
  from: string;
  to: string;
  callSid?: string;
  /** How each agent endpoint behaves when rung; unlisted endpoints ring out. */
  agents?: Record<string, AgentBehaviour>;
  /** The caller hangs up while this attempt (0-based) is ringing. */
  callerHangsUpDuringAttempt?: number;
  legEvents?: 'in-order' | 'reversed' | 'duplicated';
  /** The caller's answer to a <Gather> on their own leg (e.g. the rating); default: hangs up. */
  onGather?: (gather: TwimlNode, transcript: CallTranscript) => GatherReply;
  /** Twilio's CallerName (caller ID name lookup), when the number has it. */
  callerName?: string;
  /** Skip the number's final "completed" status callback (a lost callback). */
  skipFinalStatus?: boolean;
  /** Presses a key during the hold prompt before attempt n (0: the greeting); otherwise the caller just holds. */
  pressWhileHolding?: { beforeAttempt: number; digit: string };
  /** Leaves a voice message at a <Record>; otherwise the caller hangs up at the beep. */
  voiceMessage?: { seconds: number };
}

export interface CallTranscript {
  callSid: string;
  callerHeard: string[];
  whispers: string[];
  dialed: string[];
  dialTimeouts: number[];
  childCallSids: string[];
  bridgedTo: string | null;
  callerHungUp: boolean;
  documents: TwimlNode[];
  voiceMessageSid?: string;
}

export const randomSid = (prefix = 'CA') => prefix + randomBytes(16).toString('hex');

interface LegEvent {
  CallStatus: string;
  SequenceNumber: number;
  Timestamp: string;
  CallDuration?: number;
}

export class TwilioDriver {
  constructor(
    private readonly app: Express,
    private readonly authToken: string,
    private readonly publicBaseUrl: string,
    private readonly clock: ManualClock,
  ) {}

  /** Live calls redirected through REST (calls(sid).update({ url })), by CallSid. */
  private readonly redirects = new Map<string, string>();

  /** What Twilio does on a REST redirect: the caller's leg leaves its current TwiML (tearing down a <Dial>) for url. */
  redirectCall(callSid: string, url: string): void {
    this.redirects.set(callSid, url);
  }

  /** POSTs form parameters to an absolute webhook URL, signed with the account's auth token. */
  async post(url: string, params: Record<string, string>, signature?: string) {
    const sig = signature ?? twilio.getExpectedTwilioSignature(this.authToken, url, params);
    const path = url.startsWith(this.publicBaseUrl) ? url.slice(this.publicBaseUrl.length) : url;
    return request(this.app).post(path).type('form').set('X-Twilio-Signature', sig).send(params);
  }

  private async postTwiml(url: string, params: Record<string, string>): Promise<TwimlNode> {
    const res = await this.post(url, params);
    if (res.status !== 200) throw new Error(`Twilio got ${res.status} from ${url}: ${res.text}`);
    return parseTwiml(res.text);
  }

  url(path: string): string {
    return `${this.publicBaseUrl}${path}`;
  }

  async placeCall(script: CallScript): Promise<CallTranscript> {
    const callSid = script.callSid ?? randomSid();
    const t: CallTranscript = { callSid, callerHeard: [], whispers: [], dialed: [], dialTimeouts: [], childCallSids: [], bridgedTo: null, callerHungUp: false, documents: [] };
    const base = { AccountSid: 'AC' + 'a1'.repeat(16), CallSid: callSid, From: script.from, To: script.to, Caller: script.from, Called: script.to, Direction: 'inbound', ApiVersion: '2010-04-01', ...(script.callerName ? { CallerName: script.callerName } : {}) };
    let doc = await this.postTwiml(this.url('/webhooks/voice/incoming'), { ...base, CallStatus: 'ringing' });
    let attempt = 0;
    for (let step = 0; step < 50; step++) {
      t.documents.push(doc);
      const dial = find(doc, 'Dial');
      const gather = find(doc, 'Gather');
      t.callerHeard.push(...doc.children.filter((c) => c.name === 'Say').map((c) => c.text));
      if (dial && gather && doc.children.indexOf(gather) < doc.children.indexOf(dial)) {
        // A hold prompt before the ringing. Like a <Say>, its length (and its short timeout) is not modelled.
        t.callerHeard.push(...saysOf(gather));
        const press = script.pressWhileHolding;
        if (press && press.beforeAttempt === attempt) {
          doc = await this.postTwiml(gather.attrs.action!, { ...base, CallStatus: 'in-progress', Digits: press.digit });
          continue;
        }
      }
      if (dial) {
        const outcome = await this.ringAgent(dial, script, attempt, callSid, base, t);
        doc = outcome.next;
        if (outcome.callerLeft) {
          t.callerHungUp = true;
          break;
        }
        attempt++;
        continue;
      }
      if (gather) {
        t.callerHeard.push(...saysOf(gather));
        const reply = script.onGather ? script.onGather(gather, t) : 'hang-up';
        if (reply === 'hang-up') {
          t.callerHungUp = true;
          break;
        }
        if (reply === 'silence') {
          this.clock.advance(Number(gather.attrs.timeout ?? 5));
          if (gather.attrs.actionOnEmptyResult === 'true') {
            doc = await this.postTwiml(gather.attrs.action!, { ...base, CallStatus: 'in-progress', Digits: '' });
            continue;
          }
          const rest = doc.children.slice(doc.children.indexOf(gather) + 1);
          t.callerHeard.push(...rest.filter((c) => c.name === 'Say').map((c) => c.text));
          const redirect = rest.find((c) => c.name === 'Redirect');
          if (!redirect) break;
          doc = await this.postTwiml(redirect.text, { ...base, CallStatus: 'in-progress' });
          continue;
        }
        this.clock.advance(2);
        doc = await this.postTwiml(gather.attrs.action!, { ...base, CallStatus: 'in-progress', Digits: reply.digits });
        continue;
      }
      const redirect = find(doc, 'Redirect');
      if (redirect) {
        doc = await this.postTwiml(redirect.text, { ...base, CallStatus: 'in-progress' });
        continue;
      }
      const record = find(doc, 'Record');
      if (record && script.voiceMessage) {
        doc = await this.leaveMessage(record, script.voiceMessage.seconds, base, t);
        continue;
      }
      break;
    }
    if (!script.skipFinalStatus) await this.callStatus(callSid, 'completed', base);
    return t;
  }

  /** The caller speaks after the beep and presses #: Twilio posts the <Record> action and the recording status. */
  private async leaveMessage(record: TwimlNode, seconds: number, base: Record<string, string>, t: CallTranscript): Promise<TwimlNode> {
    this.clock.advance(seconds);
    const sid = randomSid('RE');
    t.voiceMessageSid = sid;
    const recording = { RecordingSid: sid, RecordingUrl: `https://api.twilio.com/2010-04-01/Accounts/${base.AccountSid}/Recordings/${sid}`, RecordingDuration: String(seconds) };
    const next = await this.postTwiml(record.attrs.action!, { ...base, CallStatus: 'in-progress', Digits: '#', ...recording });
    if (record.attrs.recordingStatusCallback) {
      const res = await this.post(record.attrs.recordingStatusCallback, { AccountSid: base.AccountSid!, CallSid: base.CallSid!, ...recording, RecordingStatus: 'completed', RecordingChannels: '1', RecordingSource: 'RecordVerb' });
      if (res.status >= 300) throw new Error(`recording status got ${res.status}: ${res.text}`);
    }
    return next;
  }

  /** The number's "call status changes" webhook for the caller's leg. */
  async callStatus(callSid: string, status: string, base: Record<string, string> = {}) {
    const res = await this.post(this.url('/webhooks/voice/status'), {
      ...base,
      CallSid: callSid,
      CallStatus: status,
      Timestamp: this.clock.now().toUTCString(),
      CallbackSource: 'call-progress-events',
    });
    if (res.status >= 300) throw new Error(`status callback got ${res.status}: ${res.text}`);
  }

  /** One <Dial>: ring the agent as scripted, run the whisper, then ask the Dial action what next. */
  private async ringAgent(dial: TwimlNode, script: CallScript, attempt: number, parentSid: string, base: Record<string, string>, t: CallTranscript) {
    const leg = dial.children[0]!;
    const endpoint = leg.text;
    const behaviour: AgentBehaviour = script.agents?.[endpoint] ?? { does: 'ring-out' };
    const timeout = Number(dial.attrs.timeout ?? 30);
    const childSid = randomSid();
    t.dialed.push(endpoint);
    t.dialTimeouts.push(timeout);
    t.childCallSids.push(childSid);
    const childBase = { AccountSid: base.AccountSid!, CallSid: childSid, ParentCallSid: parentSid, From: base.To!, To: endpoint, Direction: 'outbound-dial' };
    const events: LegEvent[] = [];
    let seq = 0;
    const event = (status: string, duration?: number) =>
      events.push({ CallStatus: status, SequenceNumber: seq++, Timestamp: this.clock.now().toUTCString(), ...(duration !== undefined ? { CallDuration: duration } : {}) });

    let dialStatus = 'no-answer';
    let bridged = false;
    let parentStatus = 'in-progress';
    const callerLeaves = script.callerHangsUpDuringAttempt === attempt;
    event('initiated');

    if (behaviour.does === 'busy' || behaviour.does === 'fail') {
      dialStatus = behaviour.does === 'busy' ? 'busy' : 'failed';
      event(dialStatus, 0);
    } else {
      this.clock.advance(1);
      event('ringing');
      if (callerLeaves) {
        this.clock.advance(3);
        event('canceled', 0);
        dialStatus = 'canceled';
        parentStatus = 'completed';
      } else if (behaviour.does === 'ring-out') {
        this.clock.advance(timeout + 5 - 1);
        event('no-answer', 0);
      } else {
        this.clock.advance(behaviour.ringSeconds ?? 3);
        const answeredAt = this.clock.now();
        event('in-progress');
        await this.sendLegEvents(leg, childSid, events.splice(0), script.legEvents);
        bridged = await this.runWhisper(leg, behaviour, childBase, t);
        dialStatus = 'completed';
        if (bridged) {
          t.bridgedTo = endpoint;
          const talk = behaviour.does === 'accept' ? (behaviour.talkSeconds ?? 60) : 0;
          this.clock.advance(talk);
          if (behaviour.does === 'accept' && behaviour.whileTalking) await behaviour.whileTalking();
          if (behaviour.does === 'accept' && behaviour.hangsUpFirst === 'caller' && !this.redirects.has(parentSid)) parentStatus = 'completed';
        }
        const duration = Math.round((this.clock.now().getTime() - answeredAt.getTime()) / 1000);
        event('completed', duration);
      }
    }
    await this.sendLegEvents(leg, childSid, events, script.legEvents);
    const next = await this.postTwiml(dial.attrs.action!, {
      ...base,
      CallStatus: parentStatus,
      DialCallStatus: dialStatus,
      DialCallSid: childSid,
      DialBridged: String(bridged),
      ...(bridged ? { DialCallDuration: '60' } : {}),
    });
    // After a REST redirect Twilio still posts the old <Dial> action but ignores its reply.
    const redirectedTo = this.redirects.get(parentSid);
    if (redirectedTo && parentStatus !== 'completed') {
      this.redirects.delete(parentSid);
      return { next: await this.postTwiml(redirectedTo, { ...base, CallStatus: 'in-progress' }), callerLeft: false };
    }
    return { next, callerLeft: parentStatus === 'completed' };
  }

  /** The whisper on the agent's phone; returns whether Twilio would bridge the caller. */
  private async runWhisper(leg: TwimlNode, behaviour: AgentBehaviour, childBase: Record<string, string>, t: CallTranscript): Promise<boolean> {
    if (!leg.attrs.url) return true;
    const whisper = await this.postTwiml(leg.attrs.url, { ...childBase, CallStatus: 'in-progress' });
    t.whispers.push(...saysOf(whisper));
    const gather = find(whisper, 'Gather');
    const digit = behaviour.does === 'accept' ? '1' : behaviour.does === 'press' ? behaviour.digit : null;
    if (gather && digit !== null) {
      this.clock.advance(2);
      const result = await this.postTwiml(gather.attrs.action!, { ...childBase, CallStatus: 'in-progress', Digits: digit });
      return !find(result, 'Hangup');
    }
    // Nobody pressed anything: the Gather times out and Twilio runs whatever follows it.
    this.clock.advance(Number(gather?.attrs.timeout ?? 5));
    const rest = gather ? whisper.children.slice(whisper.children.indexOf(gather) + 1) : whisper.children;
    return !rest.some((c) => c.name === 'Hangup');
  }

  private async sendLegEvents(leg: TwimlNode, childSid: string, events: LegEvent[], order: CallScript['legEvents'] = 'in-order') {
    const url = leg.attrs.statusCallback;
    if (!url || events.length === 0) return;
    const batch = order === 'reversed' ? [...events].reverse() : order === 'duplicated' ? events.flatMap((e) => [e, e]) : events;
    for (const e of batch) {
      const res = await this.post(url, {
        CallSid: childSid,
        CallStatus: e.CallStatus,
        SequenceNumber: String(e.SequenceNumber),
        Timestamp: e.Timestamp,
        CallbackSource: 'call-progress-events',
        ...(e.CallDuration !== undefined ? { CallDuration: String(e.CallDuration) } : {}),
      });
      if (res.status >= 300) throw new Error(`leg status got ${res.status}: ${res.text}`);
    }
  }
}
