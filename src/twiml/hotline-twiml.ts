import twilio from 'twilio';
import type VoiceResponse from 'twilio/lib/twiml/VoiceResponse';
import type { Endpoint } from '../domain/endpoint';
import { type PromptLanguage, type Prompts, prompts, sayAttributes } from './prompts';

export type TwimlResponse = VoiceResponse;

/** Anything that can hold a <Say>: the response itself or a <Gather>. */
interface SayTarget {
  say(attributes: VoiceResponse.SayAttributes, message: string): unknown;
}

export interface Speaker {
  readonly text: Prompts;
  say(target: SayTarget, text: string): void;
}

export function speaker(language: PromptLanguage, voice?: string): Speaker {
  const attrs = sayAttributes(language, voice);
  return { text: prompts[language], say: (target, text) => void target.say(attrs, text) };
}

export function newResponse(): VoiceResponse {
  return new twilio.twiml.VoiceResponse();
}

export interface AgentDial {
  endpoint: Endpoint;
  timeoutSeconds: number;
  timeLimitSeconds: number;
  callerId: string;
  actionUrl: string;
  screenUrl: string;
  statusUrl: string;
}

const LEG_EVENTS = ['initiated', 'ringing', 'answered', 'completed'] as const;

/**
 * One agent, one <Dial>. The leg runs the screen (whisper + press 1) before the caller is
 * bridged, reports every progress event, and hands control back to the action URL when it ends.
 */
export function dialAgent(res: VoiceResponse, d: AgentDial): void {
  const dial = res.dial({
    action: d.actionUrl,
    method: 'POST',
    timeout: d.timeoutSeconds,
    timeLimit: d.timeLimitSeconds,
    callerId: d.callerId,
    answerOnBridge: true,
  });
  const leg = { url: d.screenUrl, method: 'POST', statusCallback: d.statusUrl, statusCallbackMethod: 'POST' };
  if (d.endpoint.kind === 'sip') dial.sip({ ...leg, statusCallbackEvent: [...LEG_EVENTS] }, d.endpoint.value);
  else dial.number({ ...leg, statusCallbackEvent: [...LEG_EVENTS] }, d.endpoint.value);
}

/**
 * The whisper on the agent's phone. Only a 1 bridges the call: the trailing <Hangup/> makes a
 * Gather that times out (voicemail, a pocket) reject the bridge instead of falling through to it.
 */
export function screenTwiml(s: Speaker, o: { apologise: boolean; thresholdSeconds: number; timeoutSeconds: number; actionUrl: string }): string {
  const res = newResponse();
  const gather = res.gather({ input: ['dtmf'], numDigits: 1, timeout: o.timeoutSeconds, action: o.actionUrl, method: 'POST' });
  s.say(gather, s.text.whisper(o));
  res.hangup();
  return res.toString();
}

/** Says something and hangs up: the end of every path that has nobody to connect. */
export function sayAndHangUp(s: Speaker, ...texts: string[]): string {
  const res = newResponse();
  for (const t of texts) s.say(res, t);
  res.hangup();
  return res.toString();
}

export const emptyTwiml = (): string => newResponse().toString();
export const hangupTwiml = (): string => {
  const res = newResponse();
  res.hangup();
  return res.toString();
};
