import type VoiceResponse from 'twilio/lib/twiml/VoiceResponse';
import type { Endpoint } from '../domain/endpoint';
import { newResponse, type Speaker, type TwimlResponse } from '../twiml/hotline-twiml';

export interface AgentDial {
  endpoint: Endpoint;
  timeoutSeconds: number;
  timeLimitSeconds: number;
  callerId: string;
  actionUrl: string;
  screenUrl: string;
  statusUrl: string;
  /** Where Twilio reports the call's recording; without it the call is not recorded (RECORDING=off). */
  recordingStatusUrl?: string;
}

const LEG_EVENTS = ['initiated', 'ringing', 'answered', 'completed'] as const;

/**
 * A <Dial>'s recording (R12): from the bridge, so the whisper is not in it, the caller on channel 1
 * and the dialled party on channel 2; Twilio posts the finished recording to `statusUrl`.
 */
export function recordAttributes(statusUrl: string | undefined): Pick<VoiceResponse.DialAttributes, 'record' | 'recordingStatusCallback' | 'recordingStatusCallbackMethod' | 'recordingStatusCallbackEvent'> {
  if (!statusUrl) return {};
  return { record: 'record-from-answer-dual', recordingStatusCallback: statusUrl, recordingStatusCallbackMethod: 'POST', recordingStatusCallbackEvent: ['completed'] };
}

/**
 * One agent, one <Dial>. With answerOnBridge, a <Dial> that is the first verb of the caller's
 * document keeps their call ringing (unanswered, unbilled) until an agent is bridged. The leg
 * runs the screen (whisper + press 1) before the bridge, reports every progress event, and hands
 * control back to the action URL when it ends.
 */
export function dialAgent(res: TwimlResponse, d: AgentDial): void {
  const dial = res.dial({
    action: d.actionUrl,
    method: 'POST',
    timeout: d.timeoutSeconds,
    timeLimit: d.timeLimitSeconds,
    callerId: d.callerId,
    answerOnBridge: true,
    ...recordAttributes(d.recordingStatusUrl),
  });
  const leg = { url: d.screenUrl, method: 'POST', statusCallback: d.statusUrl, statusCallbackMethod: 'POST' };
  if (d.endpoint.kind === 'sip') dial.sip({ ...leg, statusCallbackEvent: [...LEG_EVENTS] }, d.endpoint.value);
  else dial.number({ ...leg, statusCallbackEvent: [...LEG_EVENTS] }, d.endpoint.value);
}

/**
 * The whisper on the agent's phone. A key press ends the prompt at once, so the agent can take
 * the call as soon as they hear it start. Only a 1 bridges the call: the trailing <Hangup/> makes
 * a Gather that times out (voicemail, a pocket) reject the bridge instead of falling through to it.
 */
export function screenTwiml(s: Speaker, o: { apologise: boolean; flags?: string; timeoutSeconds: number; actionUrl: string }): string {
  const res = newResponse();
  const gather = res.gather({ input: ['dtmf'], numDigits: 1, timeout: o.timeoutSeconds, action: o.actionUrl, method: 'POST' });
  s.say(gather, s.text.whisper(o));
  res.hangup();
  return res.toString();
}

/** The agent pressed 1: the caller is bridged when this document ends, after the apology cue if one is due. */
export function acceptedTwiml(s: Speaker, apologyCue: boolean): string {
  const res = newResponse();
  if (apologyCue) s.say(res, s.text.apologyCue);
  return res.toString();
}

export interface HoldOptions {
  /** Said first: the callers ahead, or nothing. */
  text: string;
  musicUrl: string;
  /** Where the caller's key goes (the callback offer); without it the caller just listens. */
  keyAction?: { prompt: string; actionUrl: string };
  /** Asked again when the music ends, in case no agent freed up meanwhile to move the caller sooner. */
  recheckUrl: string;
}

/**
 * The waiting line: a short message, then hold music, listening for the caller's key throughout
 * (a <Gather> hears keys during its nested <Say> and <Play>). The caller is normally moved on by a
 * REST redirect as soon as an agent is free; the <Redirect> after the music is the safety net.
 */
export function holdTwiml(s: Speaker, o: HoldOptions): string {
  const res = newResponse();
  if (o.keyAction) {
    const gather = res.gather({ input: ['dtmf'], numDigits: 1, timeout: 1, action: o.keyAction.actionUrl, method: 'POST' });
    s.say(gather, o.text + o.keyAction.prompt);
    gather.play({}, o.musicUrl);
  } else {
    s.say(res, o.text);
    res.play({}, o.musicUrl);
  }
  res.redirect({ method: 'POST' }, o.recheckUrl);
  return res.toString();
}
