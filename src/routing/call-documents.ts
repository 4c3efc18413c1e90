import { dialTimeoutFor } from '../domain/answer-time';
import { secondsBetween } from '../domain/clock';
import { parseEndpoint } from '../domain/endpoint';
import { speechSeconds } from '../domain/speech';
import type { Call, RingAttempt } from '../domain/ports';
import { escapeTwimlText, newResponse, type Speaker, type TwimlResponse } from '../twiml/hotline-twiml';
import type { PromptLanguage } from '../twiml/prompts';
import { dialAgent, holdTwiml } from './routing-twiml';

/**
 * A key the caller may press while holding (the callback offer). Twilio only hears the caller's
 * keys outside a <Dial>, so the offer is a short <Gather> before each further agent and around
 * the hold music of the waiting line.
 */
export interface WaitingOffer {
  /** Said after the hold message. */
  prompt: string;
  /** The prompt in a hotline's own language (see HotlineVoices); absent: `prompt` everywhere. */
  promptIn?(language: PromptLanguage): string;
  /** Seconds the <Gather> waits for the key after the prompt before ringing goes on. */
  timeoutSeconds: number;
  /** Where the key goes, for the call with this id (the id alone: see CallDocuments.hold). */
  actionUrl(callId: string): string;
}

export interface DocumentSettings {
  publicBaseUrl: string;
  agentRingSeconds: number;
  maxCallerWaitSeconds: number;
  maxTalkSeconds: number;
  holdMusicUrl: string;
  /** Record every bridged call (RECORDING); its status callback names the call and the attempt. */
  recording?: boolean;
}

/**
 * The shortest ring worth starting: Twilio's minimum <Dial timeout> (5 s) plus the ~5 s it adds
 * to every timeout. A phone cannot be rung for less, so below this much remaining wait another
 * ring would run past the caller's maximum.
 */
const MIN_RING_SECONDS = 10;

/**
 * The call id and the words the kept hold document is built with (see CallDocuments.hold), each
 * replaced by the caller's own. A UUID reads the same in a query string and in XML, and this one is
 * never a call's: gen_random_uuid() makes version-4 ids.
 */
const STAND_IN_ID = '00000000-0000-0000-0000-000000000000';
const STAND_IN_TEXT = 'THREERING-HOLD-TEXT';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** The TwiML documents of a hotline call, as the caller hears them. */
export class CallDocuments {
  private waitingOffer: WaitingOffer | null = null;
  /** The hold document with STAND_IN_ID and STAND_IN_TEXT, once built per voice. */
  private keptHold = new WeakMap<Speaker, string>();

  constructor(
    private readonly s: DocumentSettings,
    private readonly speaker: Speaker,
    /** The voice of a hotline number (its language and greeting); absent: `speaker` for every number. */
    private readonly speakerOf?: (number: string) => Speaker,
  ) {}

  /** Who speaks to this call's caller: the voice of the number they called. */
  voice(call: Pick<Call, 'to'>): Speaker {
    return (call.to !== undefined && this.speakerOf?.(call.to)) || this.speaker;
  }

  private offerPrompt(voice: Speaker): string {
    return this.offer ? (this.offer.promptIn?.(voice.language) ?? this.offer.prompt) : '';
  }

  get offer(): WaitingOffer | null {
    return this.waitingOffer;
  }

  /** The kept hold document carries the offer's prompt and URL: it is built again with the new one. */
  set offer(offer: WaitingOffer | null) {
    this.waitingOffer = offer;
    this.keptHold = new WeakMap();
  }

  webhookUrl(name: string, query: Record<string, string>): string {
    return `${this.s.publicBaseUrl}/webhooks/voice/${name}?${new URLSearchParams(query).toString()}`;
  }

  remainingWait(call: Call, now: Date): number {
    return this.s.maxCallerWaitSeconds - secondsBetween(call.startedAt, now);
  }

  /** Seconds the caller hears `prompt` (and the callback offer's key window) before the phone rings. */
  private secondsBeforeRing(call: Call, prompt?: string): number {
    if (prompt === undefined) return 0;
    return speechSeconds(prompt + this.offerPrompt(this.voice(call))) + (this.offer?.timeoutSeconds ?? 0);
  }

  /** Whether another agent can still be rung, after `prompt`, within the caller's maximum wait. */
  canRing(call: Call, now: Date, prompt?: string): boolean {
    return this.remainingWait(call, now) - this.secondsBeforeRing(call, prompt) >= MIN_RING_SECONDS;
  }

  /** Rings the attempt's agent, after `prompt` (with the callback offer when there is one). */
  ring(call: Call, attempt: RingAttempt, now: Date, prompt?: string): string {
    const res = newResponse();
    if (prompt !== undefined) this.holdPrompt(res, call, prompt);
    this.dial(res, call, attempt, this.remainingWait(call, now) - this.secondsBeforeRing(call, prompt));
    return res.toString();
  }

  /** The waiting line: how many are ahead, hold music, the callback offer, and a recheck when the music ends. */
  hold(call: Call, ahead: number): string {
    // Every caller in the line hears the same document but for their call id (in two URLs) and
    // the count of callers ahead in its first words: it is built once (the line is the busiest
    // path), and those put in, escaped as the builder escapes text.
    const voice = this.voice(call);
    const text = voice.text.allBusy(ahead);
    if (!UUID.test(call.id)) return this.holdFor(voice, call.id, text);
    let kept = this.keptHold.get(voice);
    if (kept === undefined) this.keptHold.set(voice, (kept = this.holdFor(voice, STAND_IN_ID, STAND_IN_TEXT)));
    return kept.replace(STAND_IN_TEXT, () => escapeTwimlText(text)).replaceAll(STAND_IN_ID, call.id);
  }

  private holdFor(voice: Speaker, callId: string, text: string): string {
    return holdTwiml(voice, {
      text,
      musicUrl: this.s.holdMusicUrl,
      keyAction: this.offer ? { prompt: this.offerPrompt(voice), actionUrl: this.offer.actionUrl(callId) } : undefined,
      recheckUrl: this.webhookUrl('hold', { call: callId, recheck: '1' }),
    });
  }

  /** What the caller hears before an agent is rung; with a waiting offer it listens for the key too. */
  private holdPrompt(res: TwimlResponse, call: Call, text: string): void {
    const voice = this.voice(call);
    if (!this.offer) {
      if (text) voice.say(res, text);
      return;
    }
    const gather = res.gather({ input: ['dtmf'], numDigits: 1, timeout: this.offer.timeoutSeconds, action: this.offer.actionUrl(call.id), method: 'POST' });
    voice.say(gather, text + this.offerPrompt(voice));
  }

  private dial(res: TwimlResponse, call: Call, attempt: RingAttempt, remainingWait: number): void {
    const endpoint = parseEndpoint(attempt.endpoint);
    if (!endpoint) throw new Error(`attempt ${attempt.id} has an endpoint that is neither E.164 nor SIP`);
    // The leg's callbacks say which document dialled it (HotlineService.hold: a caller moved twice).
    const q = { attempt: attempt.id, leg: String(attempt.dialMark ?? 0) };
    dialAgent(res, {
      endpoint,
      timeoutSeconds: dialTimeoutFor(this.s.agentRingSeconds, remainingWait),
      timeLimitSeconds: this.s.maxTalkSeconds,
      callerId: call.to,
      actionUrl: this.webhookUrl('dial-result', q),
      screenUrl: this.webhookUrl('screen', q),
      statusUrl: this.webhookUrl('leg-status', q),
      recordingStatusUrl: this.s.recording ? this.webhookUrl('recording', { call: call.id, attempt: attempt.id }) : undefined,
    });
  }
}
