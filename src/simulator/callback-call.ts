import twilio from 'twilio';
import type { Clock } from '../domain/clock';
import { find, parseTwiml, saysOf } from './twiml-tree';
import { randomSid, type Transport } from './twilio-model';

/**
 * A callback call the server placed through Twilio's REST API (calls.create), played the way
 * Twilio would against a running server: the owner's phone rings and is picked up, plays the
 * whisper, the owner presses 1; the customer's leg is dialled from the hotline number, picked up
 * by a person (answering-machine detection says human), talks, and hangs up; then the owner's leg
 * ends. Only the good path: the demo's caller who is called back (failures are the e2e tests').
 * Every webhook is signed with the account's auth token; `sleep` takes call seconds.
 */
export async function playCallbackCall(o: {
  created: Record<string, string>;
  transport: Transport;
  authToken: string;
  accountSid: string;
  clock: Clock;
  sleep(seconds: number): Promise<void>;
  talkSeconds: number;
}): Promise<{ ownerHeard: string[]; dialedNumber: string | null; dialStatus: string }> {
  const c = o.created;
  const ownerSid = randomSid('CA');
  const post = async (url: string, params: Record<string, string>) => {
    const res = await o.transport(url, params, twilio.getExpectedTwilioSignature(o.authToken, url, params));
    if (res.status >= 300) throw new Error(`callback call: ${url.split('?')[0]} answered ${res.status}`);
    return res.text;
  };
  const seq = new Map<string, number>();
  const status = (url: string, sid: string, callStatus: string, extra: Record<string, string> = {}) => {
    const n = seq.get(sid) ?? 0;
    seq.set(sid, n + 1);
    return post(url, { AccountSid: o.accountSid, CallSid: sid, CallStatus: callStatus, SequenceNumber: String(n), Timestamp: o.clock.now().toUTCString(), CallbackSource: 'call-progress-events', ...extra });
  };
  const base = { AccountSid: o.accountSid, CallSid: ownerSid, From: c.From ?? '', To: c.To ?? '', Direction: 'outbound-api', CallStatus: 'in-progress' };
  const ownerStatus = c.StatusCallback!;
  const heard: string[] = [];

  await status(ownerStatus, ownerSid, 'initiated');
  await o.sleep(1);
  await status(ownerStatus, ownerSid, 'ringing');
  await o.sleep(3);
  await status(ownerStatus, ownerSid, 'in-progress');
  const whisper = parseTwiml(await post(c.Url!, base));
  heard.push(...saysOf(whisper));
  const gather = find(whisper, 'Gather');
  if (!gather?.attrs.action) throw new Error('callback call: the owner heard no key prompt');
  await o.sleep(2);
  const next = parseTwiml(await post(gather.attrs.action, { ...base, Digits: '1' }));
  heard.push(...saysOf(next));
  const dial = find(next, 'Dial');
  const leg = dial?.children[0];
  let dialStatus = 'none';
  if (dial && leg) {
    const customerSid = randomSid('CA');
    await status(leg.attrs.statusCallback!, customerSid, 'initiated');
    await o.sleep(1);
    await status(leg.attrs.statusCallback!, customerSid, 'ringing');
    await o.sleep(4);
    await status(leg.attrs.statusCallback!, customerSid, 'in-progress');
    if (leg.attrs.amdStatusCallback) await post(leg.attrs.amdStatusCallback, { AccountSid: o.accountSid, CallSid: customerSid, AnsweredBy: 'human', MachineDetectionDuration: '4000' });
    await o.sleep(o.talkSeconds);
    await status(leg.attrs.statusCallback!, customerSid, 'completed', { CallDuration: String(o.talkSeconds) });
    dialStatus = 'completed';
    heard.push(...saysOf(parseTwiml(await post(dial.attrs.action!, { ...base, DialCallStatus: dialStatus, DialCallSid: customerSid, DialBridged: 'true', DialCallDuration: String(o.talkSeconds) }))));
  }
  await status(ownerStatus, ownerSid, 'completed', { CallDuration: String(o.talkSeconds + 10) });
  return { ownerHeard: heard, dialedNumber: leg?.text ?? null, dialStatus };
}
