import twilio from 'twilio';
import type VoiceResponse from 'twilio/lib/twiml/VoiceResponse';
import { type PromptLanguage, type Prompts, prompts, sayAttributes } from './prompts';

export type TwimlResponse = VoiceResponse;

/** Anything that can hold a <Say>: the response itself or a <Gather>. */
interface SayTarget {
  say(attributes: VoiceResponse.SayAttributes, message: string): unknown;
}

export interface Speaker {
  /** Which prompts these are (a hotline's own language, else PROMPT_LANGUAGE). */
  readonly language: PromptLanguage;
  readonly text: Prompts;
  say(target: SayTarget, text: string): void;
}

export function speaker(language: PromptLanguage, voice?: string, o: { recording?: boolean } = {}): Speaker {
  const attrs = sayAttributes(language, voice);
  return { language, text: o.recording === undefined ? prompts[language] : withRecordingNotice(prompts[language], o.recording), say: (target, text) => void target.say(attrs, text) };
}

/**
 * The caller is told the call is recorded where it costs the 10-second rule least: in the hold
 * prompt before a further agent and in the waiting-line message, never before the first ring.
 * Unrecorded, the warning to reported callers no longer says it is.
 */
function withRecordingNotice(p: Prompts, recording: boolean): Prompts {
  if (!recording) return { ...p, callerWarning: p.callerWarningUnrecorded };
  return { ...p, holdOn: p.holdOn + p.recordingNotice, allBusy: (ahead) => p.allBusy(ahead) + p.recordingNotice };
}

/** Text as the TwiML builder (xmlbuilder) escapes it inside an element, for text put into a built document. */
export const escapeTwimlText = (text: string): string => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/\r/g, '&#xD;');

export function newResponse(): VoiceResponse {
  return new twilio.twiml.VoiceResponse();
}

/** Says something and hangs up: the end of every path that has nobody to connect. */
export function sayAndHangUp(s: Speaker, ...texts: string[]): string {
  const res = newResponse();
  for (const t of texts) s.say(res, t);
  res.hangup();
  return res.toString();
}

/** Refuses a call before it is answered: the caller is not charged and hears the network's tone. */
export const rejectTwiml = (): string => {
  const res = newResponse();
  res.reject();
  return res.toString();
};

export const emptyTwiml = (): string => newResponse().toString();
export const hangupTwiml = (): string => {
  const res = newResponse();
  res.hangup();
  return res.toString();
};
