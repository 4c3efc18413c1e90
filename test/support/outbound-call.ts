import nock from 'nock';
import type { ManualClock } from './manual-clock';
import { find, parseTwiml, saysOf, type TwimlNode } from '../../src/simulator/twiml-tree';
import { randomSid, type TwilioDriver } from './twilio-driver';

/**
 * The REST side of Twilio in tests: SMS and calls.create are intercepted with nock and kept, and a
 * created call can then be played out (the owner's phone, the whisper, the customer's leg) by
 * sending the webhooks Twilio would send for it.
 */
export interface RestCapture {
  sms: Record<string, string>[];
  calls: { params: URLSearchParams; sid: string }[];
  /** Set it to make the next n SMS sends fail with Twilio's 500; those are not kept in `sms`. */
  failNextSms: number;
  /** SMS sends that got the 500. */
  failedSms: Record<string, string>[];
}

export function interceptTwilioRest(apiBase: string, accountSid: string): RestCapture {
  const capture: RestCapture = { sms: [], calls: [], failNextSms: 0, failedSms: [] };
  nock(apiBase)
    .persist()
    .post(`/2010-04-01/Accounts/${accountSid}/Messages.json`)
    .reply((_uri, body) => {
      const sms = Object.fromEntries(new URLSearchParams(String(body)));
      if (capture.failNextSms > 0) {
        capture.failNextSms--;
        capture.failedSms.push(sms);
        return [500, { code: 20500, message: 'Internal Server Error', status: 500 }];
      }
      capture.sms.push(sms);
      return [201, { sid: randomSid('SM'), status: 'queued' }];
    });
  nock(apiBase)
    .persist()
    .post(`/2010-04-01/Accounts/${accountSid}/Calls.json`)
    .reply(201, (_uri, body) => {
      const sid = randomSid('CA');
      capture.calls.push({ params: new URLSearchParams(String(body)), sid });
      return { sid, status: 'queued' };
    });
  return capture;
}

export type OwnerBehaviour =
  | { does: 'press'; digit: string }
  | { does: 'no-answer' }
  /** Presses 1 and hangs up before the customer's <Dial> starts (during the "connecting" prompt). */
  | { does: 'press-then-hang-up'; beforeHangingUp?: () => Promise<void> };
export type CustomerBehaviour =
  | { does: 'answer'; talkSeconds?: number; whileTalking?: () => Promise<void> }
  | { does: 'voicemail'; detected: 'before-the-end' | 'after-the-end' }
  | { does: 'no-answer' }
  | { does: 'busy' };

export interface CallbackCallTranscript {
  ownerHeard: string[];
  dial: TwimlNode | null;
  dialedNumber: string | null;
  /** The answer to the customer <Dial>'s action: what the owner's leg does next. */
  afterDial: TwimlNode | null;
}

export interface CallbackCallHooks {
  /** Runs when the customer's leg is over, just before Twilio posts the <Dial> action. */
  beforeDialAction?: () => Promise<void>;
}

/** Plays out one REST-created callback call the way Twilio would report it. */
export async function playCallbackCall(
  driver: TwilioDriver,
  clock: ManualClock,
  created: { params: URLSearchParams; sid: string },
  owner: OwnerBehaviour,
  customer: CustomerBehaviour = { does: 'answer' },
  hooks: CallbackCallHooks = {},
): Promise<CallbackCallTranscript> {
  const p = created.params;
  const accountSid = 'AC' + 'a1'.repeat(16);
  const base = { AccountSid: accountSid, CallSid: created.sid, From: p.get('From')!, To: p.get('To')!, Direction: 'outbound-api' };
  const ownerStatus = p.get('StatusCallback')!;
  let seq = 0;
  const status = async (url: string, sid: string, callStatus: string, s: number, extra: Record<string, string> = {}) => {
    const res = await driver.post(url, { AccountSid: accountSid, CallSid: sid, CallStatus: callStatus, SequenceNumber: String(s), Timestamp: clock.now().toUTCString(), CallbackSource: 'call-progress-events', ...extra });
    if (res.status >= 300) throw new Error(`status ${callStatus} got ${res.status}: ${res.text}`);
  };
  const twiml = async (url: string, params: Record<string, string>) => {
    const res = await driver.post(url, params);
    if (res.status !== 200) throw new Error(`Twilio got ${res.status} from ${url}: ${res.text}`);
    return parseTwiml(res.text);
  };
  const t: CallbackCallTranscript = { ownerHeard: [], dial: null, dialedNumber: null, afterDial: null };

  await status(ownerStatus, created.sid, 'initiated', seq++);
  clock.advance(1);
  await status(ownerStatus, created.sid, 'ringing', seq++);
  if (owner.does === 'no-answer') {
    clock.advance(30);
    await status(ownerStatus, created.sid, 'no-answer', seq++, { CallDuration: '0' });
    return t;
  }
  clock.advance(3);
  await status(ownerStatus, created.sid, 'in-progress', seq++);
  const whisper = await twiml(p.get('Url')!, { ...base, CallStatus: 'in-progress' });
  t.ownerHeard.push(...saysOf(whisper));
  const gather = find(whisper, 'Gather')!;
  clock.advance(2);
  const next = await twiml(gather.attrs.action!, { ...base, CallStatus: 'in-progress', Digits: owner.does === 'press' ? owner.digit : '1' });
  t.ownerHeard.push(...saysOf(next));
  const dial = find(next, 'Dial');
  if (owner.does === 'press-then-hang-up') {
    // Gone during the prompt before the <Dial>: Twilio never starts the customer's leg nor posts the action.
    t.dial = dial ?? null;
    await owner.beforeHangingUp?.();
    clock.advance(1);
    await status(ownerStatus, created.sid, 'completed', seq++, { CallDuration: '6' });
    return t;
  }
  if (dial) {
    t.dial = dial ?? null;
    const leg = dial.children[0]!;
    t.dialedNumber = leg.text;
    const childSid = randomSid('CA');
    let cseq = 0;
    await status(leg.attrs.statusCallback!, childSid, 'initiated', cseq++);
    clock.advance(1);
    await status(leg.attrs.statusCallback!, childSid, 'ringing', cseq++);
    let dialStatus = 'no-answer';
    // Answering machine detection reports on its own URL, about 4 s after the pick-up.
    const answeredBy = async (who: string) => {
      const res = await driver.post(leg.attrs.amdStatusCallback!, { AccountSid: accountSid, CallSid: childSid, AnsweredBy: who, MachineDetectionDuration: '4000' });
      if (res.status >= 300) throw new Error(`amd callback got ${res.status}: ${res.text}`);
    };
    let lateDetection: string | null = null;
    if (customer.does === 'answer' || customer.does === 'voicemail') {
      clock.advance(4);
      await status(leg.attrs.statusCallback!, childSid, 'in-progress', cseq++);
      const machine = customer.does === 'voicemail';
      if (!machine || customer.detected === 'before-the-end') await answeredBy(machine ? 'machine_end_beep' : 'human');
      else lateDetection = 'machine_start';
      const talk = customer.does === 'answer' ? (customer.talkSeconds ?? 45) : 20;
      clock.advance(talk);
      if (customer.does === 'answer') await customer.whileTalking?.();
      await status(leg.attrs.statusCallback!, childSid, 'completed', cseq++, { CallDuration: String(talk) });
      dialStatus = 'completed';
    } else {
      clock.advance(customer.does === 'busy' ? 1 : 30);
      dialStatus = customer.does === 'busy' ? 'busy' : 'no-answer';
      await status(leg.attrs.statusCallback!, childSid, dialStatus, cseq++, { CallDuration: '0' });
    }
    await hooks.beforeDialAction?.();
    const after = await twiml(dial.attrs.action!, {
      ...base,
      CallStatus: 'in-progress',
      DialCallStatus: dialStatus,
      DialCallSid: childSid,
      DialBridged: String(dialStatus === 'completed'),
    });
    t.afterDial = after;
    t.ownerHeard.push(...saysOf(after));
    if (lateDetection) await answeredBy(lateDetection);
  }
  await status(ownerStatus, created.sid, 'completed', seq++, { CallDuration: '60' });
  return t;
}
