import { dialTimeoutFor, owesApology, parseTwilioTimestamp } from '../domain/answer-time';
import { attemptOutcomeFromDial, callerHasLeft } from '../domain/call-states';
import { secondsBetween, type Clock } from '../domain/clock';
import { parseEndpoint } from '../domain/endpoint';
import type { AgentStore, Call, CallStore, Coordinator, RingAttempt } from '../domain/ports';
import { huntOrder } from '../domain/rotation';
import { NotFoundError } from '../errors';
import type { Logger } from '../logger';
import { dialAgent, emptyTwiml, hangupTwiml, newResponse, sayAndHangUp, screenTwiml, type Speaker } from '../twiml/hotline-twiml';

export interface HotlineSettings {
  publicBaseUrl: string;
  answerThresholdSeconds: number;
  agentRingSeconds: number;
  maxCallerWaitSeconds: number;
  screenTimeoutSeconds: number;
  maxTalkSeconds: number;
}

/** Told once when a call ends, whatever the outcome (callbacks, notes, reports hang off this). */
export interface CallEndedListener {
  callEnded(call: Call): Promise<void>;
  /** Told when an agent has accepted and the caller is being bridged; must not hold up the bridge. */
  callConnected?(call: Call): Promise<void>;
}

/**
 * What the caller hears at the two ends of a call that the routing core does not own:
 * after the agent hangs up first (the rating), and when nobody could take the call (the callback).
 */
export interface CallFlowEndings {
  afterTalk(call: Call): Promise<string>;
  whenMissed(call: Call): Promise<string>;
}

/**
 * A key the caller may press while holding (the callback offer). Twilio only hears the caller's
 * keys outside a <Dial>, so the offer is a short <Gather> around the greeting and between agents.
 */
export interface WaitingOffer {
  /** Said after the greeting, and on its own between two agents. */
  prompt: string;
  /** Seconds the <Gather> waits for the key after the prompt before ringing goes on. */
  timeoutSeconds: number;
  actionUrl(call: Call): string;
}

export interface HotlineDeps {
  settings: HotlineSettings;
  agents: AgentStore;
  calls: CallStore;
  coordinator: Coordinator;
  clock: Clock;
  speaker: Speaker;
  logger: Logger;
  listeners: CallEndedListener[];
  endings?: Partial<CallFlowEndings>;
}

export interface DialResult {
  callStatus?: string;
  dialCallStatus: string;
  dialBridged?: string;
}

export interface LegStatus {
  childCallSid: string;
  callStatus: string;
  sequenceNumber: number;
  timestamp?: string;
  callDuration?: number;
}

const TERMINAL_LEG = new Set(['completed', 'busy', 'no-answer', 'failed', 'canceled']);
/** Seconds of slack on a ringing claim beyond the ring and the screen, so a slow callback never frees a ringing agent. */
const CLAIM_SLACK_SECONDS = 30;
/** Below this much remaining wait another agent is not worth ringing (Twilio's minimum Dial timeout). */
const MIN_RING_SECONDS = 5;

/** The hunt-holder of an attempt: one per (call, attempt number), so a repeated request claims as the same holder. */
const holderOf = (callId: string, seq: number) => `${callId}:${seq}`;

/**
 * The hotline's call flow: answer, ring agents one at a time in rotation, let a human confirm,
 * measure the wait, and end every call with an outcome. Each public method answers one Twilio
 * webhook and is safe to repeat.
 */
export class HotlineService {
  private readonly endings: CallFlowEndings;
  private waitingOffer: WaitingOffer | null = null;

  constructor(private readonly d: HotlineDeps) {
    this.endings = {
      afterTalk: d.endings?.afterTalk ?? (async () => sayAndHangUp(d.speaker, d.speaker.text.thanks)),
      whenMissed: d.endings?.whenMissed ?? (async () => sayAndHangUp(d.speaker, d.speaker.text.noAgent)),
    };
  }

  /** Lets a later feature (callbacks, ratings) take over one end of the flow. */
  setEnding<K extends keyof CallFlowEndings>(which: K, fn: CallFlowEndings[K]): void {
    this.endings[which] = fn;
  }

  /** Lets the caller press a key while holding (see WaitingOffer); the key arrives at waitingKey(). */
  setWaitingOffer(offer: WaitingOffer): void {
    this.waitingOffer = offer;
  }

  addListener(listener: CallEndedListener): void {
    this.d.listeners.push(listener);
  }

  webhookUrl(name: string, query: Record<string, string>): string {
    return `${this.d.settings.publicBaseUrl}/webhooks/voice/${name}?${new URLSearchParams(query).toString()}`;
  }

  async incoming(p: { callSid: string; from: string; to: string; callerName?: string }): Promise<string> {
    const now = this.d.clock.now();
    const { call, created } = await this.d.calls.createCall(
      { callSid: p.callSid, from: p.from, to: p.to, callerName: p.callerName ?? null, startedAt: now },
      () => this.d.coordinator.nextRotation(),
    );
    if (!created) return this.replay(call);
    const attempt = await this.offerNext(call, [], now);
    if (!attempt) return this.miss(call, 'no-agent-available', now);
    const res = newResponse();
    this.holdPrompt(res, call, this.d.speaker.text.greeting);
    this.dial(res, call, attempt, now);
    return res.toString();
  }

  /**
   * The caller pressed a key during a hold prompt. A 1 asks for a callback: the agent who was
   * about to be rung is let go and the call ends missed. Any other key just carries on ringing.
   */
  async waitingKey(callId: string, digits: string | undefined): Promise<string> {
    const call = await this.d.calls.getCall(callId);
    if (!call) throw new NotFoundError(`no call ${callId}`);
    if (call.state !== 'hunting') return this.replay(call);
    const now = this.d.clock.now();
    const open = (await this.d.calls.attemptsOf(call.id)).find((a) => !a.finishedAt);
    if (digits === '1') {
      if (open) {
        await this.d.calls.finishAttempt(open.id, { outcome: 'callback-requested', dialCallStatus: 'not-dialled', at: now });
        await this.d.coordinator.releaseClaim(open.agentId, holderOf(open.callId, open.seq));
      }
      return this.miss(call, 'callback-requested', now);
    }
    if (!open) return this.miss(call, 'all-agents-tried', now);
    const res = newResponse();
    this.dial(res, call, open, now);
    return res.toString();
  }

  /** The whisper: runs on the agent's phone once something picked up. */
  async screen(attemptId: string, childCallSid: string): Promise<string> {
    const { attempt, call } = await this.load(attemptId);
    if (call.state !== 'hunting') return hangupTwiml();
    const now = this.d.clock.now();
    await this.d.calls.markScreened(attempt.id, childCallSid, now);
    const { answerThresholdSeconds, screenTimeoutSeconds } = this.d.settings;
    return screenTwiml(this.d.speaker, {
      apologise: owesApology(call.startedAt, now, answerThresholdSeconds),
      thresholdSeconds: answerThresholdSeconds,
      timeoutSeconds: screenTimeoutSeconds,
      actionUrl: this.webhookUrl('screen-result', { attempt: attempt.id }),
    });
  }

  /** The agent's key press: only a 1 bridges the caller; anything else turns the leg away. */
  async screenResult(attemptId: string, digits: string | undefined): Promise<string> {
    const { attempt } = await this.load(attemptId);
    if (digits !== '1') return hangupTwiml();
    const accepted = await this.d.calls.acceptAttempt(attempt.id, this.d.clock.now(), this.d.settings.answerThresholdSeconds);
    if (!accepted) return hangupTwiml();
    // The agent stays claimed while they talk; the claim still expires if the end is never reported.
    await this.d.coordinator.extendClaim(attempt.agentId, holderOf(attempt.callId, attempt.seq), (this.d.settings.maxTalkSeconds + CLAIM_SLACK_SECONDS) * 1000);
    await this.notifyConnected(attempt.callId);
    return emptyTwiml();
  }

  /** The <Dial> of one agent ended: the talk is over, or the next agent is rung, or the call is missed. */
  async dialResult(attemptId: string, p: DialResult): Promise<string> {
    const loaded = await this.load(attemptId);
    const { attempt } = loaded;
    let { call } = loaded;
    const now = this.d.clock.now();
    const bridged = p.dialBridged === 'true' || (p.dialBridged === undefined && attempt.acceptedAt !== null && p.dialCallStatus === 'completed');
    const callerGone = callerHasLeft(p.callStatus);
    const acceptedNotBridged = !bridged && !callerGone && attempt.acceptedAt !== null;
    const outcome = acceptedNotBridged ? 'not-bridged' : attemptOutcomeFromDial(p.dialCallStatus, bridged, callerGone);
    const first = await this.d.calls.finishAttempt(attempt.id, { outcome, dialCallStatus: p.dialCallStatus, at: now });
    await this.d.coordinator.releaseClaim(attempt.agentId, holderOf(attempt.callId, attempt.seq));
    if (!first) return this.replay((await this.d.calls.getCall(call.id)) ?? call);

    if (bridged) {
      const ended = await this.end(call, { outcome: 'answered', at: now, endedBy: callerGone ? 'caller' : 'agent' });
      // Already ended: the agent handed the caller over by a REST redirect, and Twilio ignores this reply.
      if (!ended) return emptyTwiml();
      return callerGone ? emptyTwiml() : this.endings.afterTalk(ended);
    }
    if (callerGone) {
      // attempt.acceptedAt: the agent pressed 1 but the caller hung up before Twilio bridged them.
      await this.end(call, { outcome: 'abandoned', at: now, endedBy: 'caller', neverBridged: attempt.acceptedAt !== null });
      return emptyTwiml();
    }
    // The agent pressed 1 but was never put through: the caller is still waiting, so hunt on.
    if (acceptedNotBridged) call = (await this.d.calls.reopenHunt(call.id)) ?? call;
    if (call.state !== 'hunting') return hangupTwiml();
    const remaining = this.d.settings.maxCallerWaitSeconds - secondsBetween(call.startedAt, now);
    if (remaining < MIN_RING_SECONDS) return this.miss(call, 'max-wait', now);
    const next = await this.offerNext(call, await this.d.calls.attemptsOf(call.id), now);
    if (!next) return this.miss(call, 'all-agents-tried', now);
    const res = newResponse();
    this.holdPrompt(res, call, '');
    this.dial(res, call, next, now);
    return res.toString();
  }

  /** Progress of an agent's leg (initiated, ringing, answered, completed), possibly repeated or out of order. */
  async legStatus(attemptId: string, p: LegStatus): Promise<void> {
    const attempt = await this.d.calls.getAttempt(attemptId);
    if (!attempt) throw new NotFoundError(`no ring attempt ${attemptId}`);
    const now = this.d.clock.now();
    await this.d.calls.recordLegEvent({
      childCallSid: p.childCallSid,
      sequenceNumber: p.sequenceNumber,
      attemptId,
      callStatus: p.callStatus,
      eventAt: parseTwilioTimestamp(p.timestamp, now),
      receivedAt: now,
      durationSeconds: p.callDuration ?? null,
    });
    if (TERMINAL_LEG.has(p.callStatus)) await this.d.coordinator.releaseClaim(attempt.agentId, holderOf(attempt.callId, attempt.seq));
  }

  /** The hotline call's own status: when the caller's leg is over, the call ends whatever else was lost. */
  async callStatus(p: { callSid: string; callStatus: string; sequenceNumber?: number; timestamp?: string; callDuration?: number }): Promise<void> {
    const now = this.d.clock.now();
    await this.d.calls.recordCallEvent({
      callSid: p.callSid,
      callStatus: p.callStatus,
      sequenceNumber: p.sequenceNumber ?? null,
      eventAt: parseTwilioTimestamp(p.timestamp, now),
      receivedAt: now,
      durationSeconds: p.callDuration ?? null,
    });
    if (!callerHasLeft(p.callStatus)) return;
    const call = await this.d.calls.getCallBySid(p.callSid);
    if (!call) return;
    const unfinished = (await this.d.calls.attemptsOf(call.id)).filter((a) => !a.finishedAt);
    // Connected but its <Dial> not yet over: only the Dial action (which Twilio sends even after the
    // caller hung up, in either order with this callback) can tell a talk from a bridge that never happened.
    if (call.state === 'connected' && unfinished.some((a) => a.acceptedAt)) return;
    for (const a of unfinished) {
      if (call.state === 'hunting') await this.d.calls.finishAttempt(a.id, { outcome: 'caller-gone', dialCallStatus: 'caller-hung-up', at: now });
      await this.d.coordinator.releaseClaim(a.agentId, holderOf(a.callId, a.seq));
    }
    await this.end(call, { outcome: 'abandoned', at: now, endedBy: 'caller' });
  }

  /**
   * The agent handed the caller over to the rating from their phone (the caller's leg was already
   * redirected by REST): the talk is over now, whatever the late <Dial> action says afterwards.
   */
  async endByHandover(callId: string): Promise<Call | null> {
    const call = await this.d.calls.getCall(callId);
    if (!call || call.state !== 'connected') return null;
    return this.end(call, { outcome: 'answered', at: this.d.clock.now(), endedBy: 'agent-handover' });
  }

  /**
   * Settles a connected call whose <Dial> action never came (see CallSettler): ends it with what
   * the record shows, releases its agent and tells the listeners, like any other end. Returns null
   * when the call was no longer connected (the action arrived after all).
   */
  async settleConnected(callId: string, e: { at: Date; endedBy: 'agent' | 'caller'; neverBridged: boolean }): Promise<Call | null> {
    const call = await this.d.calls.getCall(callId);
    if (!call || call.state !== 'connected') return null;
    for (const a of (await this.d.calls.attemptsOf(call.id)).filter((x) => !x.finishedAt)) {
      await this.d.calls.finishAttempt(a.id, { outcome: a.acceptedAt && !e.neverBridged ? 'accepted' : 'not-bridged', dialCallStatus: 'settled-without-action', at: e.at });
      await this.d.coordinator.releaseClaim(a.agentId, holderOf(a.callId, a.seq));
    }
    return this.end(call, { outcome: 'abandoned', at: e.at, endedBy: e.endedBy, neverBridged: e.neverBridged });
  }

  private async notifyConnected(callId: string): Promise<void> {
    const listeners = this.d.listeners.filter((l) => l.callConnected);
    if (listeners.length === 0) return;
    const call = await this.d.calls.getCall(callId);
    if (!call) return;
    for (const l of listeners) {
      try {
        await l.callConnected!(call);
      } catch (err) {
        this.d.logger.error('call-connected listener failed', { callSid: call.callSid, err });
      }
    }
  }

  private async load(attemptId: string): Promise<{ attempt: RingAttempt; call: Call }> {
    const attempt = await this.d.calls.getAttempt(attemptId);
    const call = attempt && (await this.d.calls.getCall(attempt.callId));
    if (!attempt || !call) throw new NotFoundError(`no ring attempt ${attemptId}`);
    return { attempt, call };
  }

  /** Claims the next free agent in this call's hunt order and records the attempt. */
  private async offerNext(call: Call, attempts: RingAttempt[], now: Date): Promise<RingAttempt | null> {
    const order = huntOrder(await this.d.agents.listRoutable(), call.rotationOffset, new Set(attempts.map((a) => a.agentId)));
    const seq = attempts.length;
    const holder = holderOf(call.id, seq);
    const ringTtl = (this.d.settings.agentRingSeconds + 5 + this.d.settings.screenTimeoutSeconds + CLAIM_SLACK_SECONDS) * 1000;
    const agentId = await this.d.coordinator.claimFirstFree(
      order.map((a) => a.id),
      holder,
      ringTtl,
    );
    const agent = order.find((a) => a.id === agentId);
    if (!agent) return null;
    const { attempt, created } = await this.d.calls.addAttempt({ callId: call.id, seq, agentId: agent.id, endpoint: agent.phone, offeredAt: now });
    // A concurrent repeat of this request recorded attempt `seq` first: give back what we claimed.
    if (!created && attempt.agentId !== agent.id) await this.d.coordinator.releaseClaim(agent.id, holder);
    return attempt;
  }

  /** What the caller hears before an agent is rung; with a waiting offer it listens for the key too. */
  private holdPrompt(res: ReturnType<typeof newResponse>, call: Call, text: string): void {
    const offer = this.waitingOffer;
    if (!offer) {
      if (text) this.d.speaker.say(res, text);
      return;
    }
    const gather = res.gather({ input: ['dtmf'], numDigits: 1, timeout: offer.timeoutSeconds, action: offer.actionUrl(call), method: 'POST' });
    this.d.speaker.say(gather, text + offer.prompt);
  }

  private dial(res: ReturnType<typeof newResponse>, call: Call, attempt: RingAttempt, now: Date): void {
    const endpoint = parseEndpoint(attempt.endpoint);
    if (!endpoint) throw new Error(`attempt ${attempt.id} has an endpoint that is neither E.164 nor SIP`);
    const remaining = this.d.settings.maxCallerWaitSeconds - secondsBetween(call.startedAt, now);
    const q = { attempt: attempt.id };
    dialAgent(res, {
      endpoint,
      timeoutSeconds: dialTimeoutFor(this.d.settings.agentRingSeconds, remaining),
      timeLimitSeconds: this.d.settings.maxTalkSeconds,
      callerId: call.to,
      actionUrl: this.webhookUrl('dial-result', q),
      screenUrl: this.webhookUrl('screen', q),
      statusUrl: this.webhookUrl('leg-status', q),
    });
  }

  private async miss(call: Call, reason: string, now: Date): Promise<string> {
    const ended = await this.end(call, { outcome: 'missed', at: now, endedBy: 'system', missedReason: reason });
    return this.endings.whenMissed(ended ?? call);
  }

  private async end(call: Call, e: Parameters<CallStore['endCall']>[1]): Promise<Call | null> {
    const ended = await this.d.calls.endCall(call.id, e);
    if (!ended) return null;
    for (const l of this.d.listeners) {
      try {
        await l.callEnded(ended);
      } catch (err) {
        this.d.logger.error('call-ended listener failed', { callSid: ended.callSid, err });
      }
    }
    return ended;
  }

  /** Answers a repeated request with what the first one answered, from what is on record. */
  private async replay(call: Call): Promise<string> {
    if (call.state === 'ended') {
      if (call.outcome === 'missed') return this.endings.whenMissed(call);
      if (call.outcome === 'answered' && call.endedBy === 'agent') return this.endings.afterTalk(call);
      return emptyTwiml();
    }
    if (call.state === 'connected') return emptyTwiml();
    const now = this.d.clock.now();
    const attempts = await this.d.calls.attemptsOf(call.id);
    // A repeat that overtook the first request before it recorded an agent offers one itself;
    // if both do, the attempt number makes them agree on one agent.
    const open = attempts.find((a) => !a.finishedAt) ?? (attempts.length === 0 ? await this.offerNext(call, [], now) : null);
    if (!open) return sayAndHangUp(this.d.speaker, this.d.speaker.text.noAgent);
    const res = newResponse();
    this.dial(res, call, open, now);
    return res.toString();
  }
}
