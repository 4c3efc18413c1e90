import nock from 'nock';
import type { AfterCallFeature } from '../../src/after-call/after-call-feature';
import { ACCOUNT_SID, AUTH_TOKEN, PUBLIC_BASE_URL, TWILIO_API, type Hotline } from './hotline-harness';
import type { TwimlNode } from '../../src/simulator/twiml-tree';
import { randomSid, type GatherReply } from './twilio-driver';

const ACCOUNT_PATH = `/2010-04-01/Accounts/${ACCOUNT_SID}`;
/** Twilio's answer for a call it no longer has live. */
const CALL_NOT_FOUND = [404, { code: 20404, message: 'The requested resource was not found', status: 404 }] as const;

export const afterCallOf = (h: Hotline) => h.container.features.find((f) => f.name === 'after-call') as AfterCallFeature;

export interface AfterCallRest {
  sms: Record<string, string>[];
  /** REST updates of a live call: { sid, Url, Method }. */
  redirects: Record<string, string>[];
}

/**
 * Twilio's REST API as the after-call feature uses it, intercepted with nock: SMS are kept, and a
 * call update (the hand-over) is kept and played on the driver as Twilio would (a redirect of the
 * caller's leg).
 */
export function interceptAfterCallRest(h: Pick<Hotline, 'twilio'>): AfterCallRest {
  const rest: AfterCallRest = { sms: [], redirects: [] };
  nock(TWILIO_API)
    .persist()
    .post(`${ACCOUNT_PATH}/Messages.json`)
    .basicAuth({ user: ACCOUNT_SID, pass: AUTH_TOKEN })
    .reply(201, (_uri, body) => {
      rest.sms.push(Object.fromEntries(new URLSearchParams(String(body))));
      return { sid: randomSid('SM'), status: 'queued' };
    });
  nock(TWILIO_API)
    .persist()
    .post(new RegExp(`^${ACCOUNT_PATH}/Calls/CA[0-9a-f]{32}\\.json$`))
    .basicAuth({ user: ACCOUNT_SID, pass: AUTH_TOKEN })
    .reply((uri, body) => {
      const sid = /Calls\/(CA[0-9a-f]{32})\.json/.exec(uri)![1]!;
      const params = Object.fromEntries(new URLSearchParams(String(body)));
      rest.redirects.push({ sid, ...params });
      // Twilio answers 404 for a call that is no longer live.
      if (params.Url && !h.twilio.redirectCall(sid, params.Url)) return [...CALL_NOT_FOUND];
      return [200, { sid, status: 'in-progress' }];
    });
  return rest;
}

/**
 * A call's state as Twilio's REST API gives it, which the call settler asks about a call connected
 * for a while: in progress while the model plays the caller's leg, 404 once it is over (the settler
 * reads both "over" answers alike). Without it, nock's "no match" error reads as a 404, and the
 * settler ends a long talk the model is still playing, freeing its agent for the next caller.
 */
export function interceptCallFetch(h: Pick<Hotline, 'twilio'>): void {
  nock(TWILIO_API)
    .persist()
    .get(new RegExp(`^${ACCOUNT_PATH}/Calls/CA[0-9a-f]{32}\\.json$`))
    .basicAuth({ user: ACCOUNT_SID, pass: AUTH_TOKEN })
    .reply((uri) => {
      const sid = /Calls\/(CA[0-9a-f]{32})\.json/.exec(uri)![1]!;
      if (!h.twilio.model.isLive(sid)) return [...CALL_NOT_FOUND];
      return [200, { sid, status: 'in-progress', end_time: null }];
    });
}

/** The caller's keys at the rating, one per <Gather> in turn; once they run out, the caller hangs up. */
export function rates(...replies: GatherReply[]) {
  let i = 0;
  return (gather: TwimlNode): GatherReply => (gather.attrs.action?.includes('/voice/rating') ? (replies[i++] ?? 'hang-up') : 'hang-up');
}

/** The path of the call page in an SMS the agent got. */
export function pagePathIn(smsBody: string): string {
  const url = new RegExp(`${PUBLIC_BASE_URL}(/m/calls/[A-Za-z0-9_.-]+)`).exec(smsBody);
  if (!url) throw new Error(`no call page link in: ${smsBody}`);
  return url[1]!;
}
