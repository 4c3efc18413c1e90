import { recordAttributes } from '../routing/routing-twiml';
import { newResponse, type Speaker } from '../twiml/hotline-twiml';

const LEG_EVENTS = ['initiated', 'ringing', 'answered', 'completed'] as const;

/**
 * The apology and the voice message. <Record> ends in <Hangup/>: with an action URL Twilio posts
 * the message there; a caller who says nothing simply hears the call end.
 */
export function recordMessageTwiml(s: Speaker, o: { intro: string; maxSeconds: number; actionUrl: string; recordingStatusUrl: string }): string {
  const res = newResponse();
  s.say(res, o.intro);
  res.record({
    maxLength: o.maxSeconds,
    playBeep: true,
    finishOnKey: '#',
    timeout: 5,
    action: o.actionUrl,
    method: 'POST',
    recordingStatusCallback: o.recordingStatusUrl,
    recordingStatusCallbackMethod: 'POST',
    recordingStatusCallbackEvent: ['completed', 'absent'],
  });
  res.hangup();
  return res.toString();
}

/**
 * On the owner's phone: who to call back, press 1. The trailing <Hangup/> keeps the owner's
 * voicemail from "confirming" a callback nobody heard.
 */
export function ownerWhisperTwiml(s: Speaker, o: { text: string; timeoutSeconds: number; actionUrl: string }): string {
  const res = newResponse();
  const gather = res.gather({ input: ['dtmf'], numDigits: 1, timeout: o.timeoutSeconds, action: o.actionUrl, method: 'POST' });
  s.say(gather, o.text);
  res.hangup();
  return res.toString();
}

/**
 * The owner confirmed: dial the customer with the hotline as caller ID, so the agent's own
 * number stays private.
 */
export function dialCustomerTwiml(s: Speaker, o: { say: string; customer: string; hotline: string; timeoutSeconds: number; timeLimitSeconds: number; actionUrl: string; statusUrl: string; amdUrl: string; recordingStatusUrl?: string }): string {
  const res = newResponse();
  s.say(res, o.say);
  const dial = res.dial({ action: o.actionUrl, method: 'POST', callerId: o.hotline, timeout: o.timeoutSeconds, timeLimit: o.timeLimitSeconds, ...recordAttributes(o.recordingStatusUrl) });
  // Detection on a <Dial> leg is asynchronous: the owner is connected at once (and may leave a
  // message), and AnsweredBy arrives at amdUrl to tell a voicemail from the customer.
  dial.number(
    { statusCallback: o.statusUrl, statusCallbackMethod: 'POST', statusCallbackEvent: [...LEG_EVENTS], machineDetection: 'Enable', amdStatusCallback: o.amdUrl, amdStatusCallbackMethod: 'POST' },
    o.customer,
  );
  return res.toString();
}

export const CALLBACK_LEG_EVENTS = LEG_EVENTS;
