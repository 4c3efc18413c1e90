import { createHmac } from 'node:crypto';
import nock from 'nock';

export const WECOM_API = 'https://wecom.example.test';
export const DINGTALK_API = 'https://dingtalk.example.test';

export interface RobotMessage {
  service: 'wecom-robot' | 'dingtalk-robot' | 'wecom-app';
  /** The robot's key / access token, or the app's userid. */
  to: string;
  content: string;
  mentioned: string[];
  at: Date;
}

/**
 * WeCom and DingTalk as their documents describe them, intercepted with nock: paths, JSON bodies,
 * DingTalk's signature checked, each robot's messages per minute limited (the rate-limit errcode
 * beyond it), wecom-app tokens issued and checked.
 */
export interface ChannelFakes {
  messages: RobotMessage[];
  /** Requests refused, with the errcode answered. */
  refused: { service: string; errcode: number }[];
  /** Messages a robot takes per minute (the services document about 20). */
  perMinute: number;
  /** What the DingTalk robot answers beyond it: 130101 (older robots) or 410100 ("send too fast" in its error-code table). */
  dingtalkRateLimitCode: number;
  /** The DingTalk robot throttled after its limit (10 minutes): every request answered with a 302 redirect. */
  dingtalkThrottled: boolean;
  /** Access tokens the wecom-app fake issued. */
  tokensIssued: string[];
  /** Makes every token issued so far expired (the next send answers 42001). */
  expireTokens(): void;
}

export function fakeChannels(o: { now: () => Date; dingtalkSecrets: Record<string, string>; wecomApp?: { corpId: string; corpSecret: string; expiresIn?: number } }): ChannelFakes {
  const live = new Set<string>();
  const fakes: ChannelFakes = {
    messages: [],
    refused: [],
    perMinute: 20,
    dingtalkRateLimitCode: 130101,
    dingtalkThrottled: false,
    tokensIssued: [],
    expireTokens: () => live.clear(),
  };
  const inLastMinute = (service: RobotMessage['service'], to: string) =>
    fakes.messages.filter((m) => m.service === service && m.to === to && o.now().getTime() - m.at.getTime() < 60_000).length;
  const refuse = (service: string, errcode: number, errmsg: string) => {
    fakes.refused.push({ service, errcode });
    return [200, { errcode, errmsg }] as [number, object];
  };

  nock(WECOM_API)
    .persist()
    .post('/cgi-bin/webhook/send')
    .query(true)
    .reply((uri, body) => {
      const key = new URL(uri, WECOM_API).searchParams.get('key') ?? '';
      const b = body as { msgtype?: string; text?: { content?: string; mentioned_mobile_list?: string[] } };
      if (!key) return refuse('wecom-robot', 93000, 'invalid webhook url');
      if (b.msgtype !== 'text' || typeof b.text?.content !== 'string') return refuse('wecom-robot', 40008, 'invalid message type');
      if (inLastMinute('wecom-robot', key) >= fakes.perMinute) return refuse('wecom-robot', 45009, 'api freq out of limit');
      fakes.messages.push({ service: 'wecom-robot', to: key, content: b.text.content, mentioned: b.text.mentioned_mobile_list ?? [], at: o.now() });
      return [200, { errcode: 0, errmsg: 'ok' }];
    });

  nock(DINGTALK_API)
    .persist()
    .post('/robot/send')
    .query(true)
    .reply((uri, body) => {
      const q = new URL(uri, DINGTALK_API).searchParams;
      if (fakes.dingtalkThrottled) {
        fakes.refused.push({ service: 'dingtalk-robot', errcode: 302 });
        return [302, '', { Location: 'https://www.dingtalk.com/' }];
      }
      const token = q.get('access_token') ?? '';
      const secret = o.dingtalkSecrets[token];
      if (!secret) return refuse('dingtalk-robot', 300001, 'token is not exist');
      const timestamp = Number(q.get('timestamp'));
      const expected = createHmac('sha256', secret).update(`${timestamp}\n${secret}`, 'utf8').digest('base64');
      // DingTalk refuses a timestamp more than an hour away from its own time, and a wrong signature.
      if (!Number.isFinite(timestamp) || Math.abs(o.now().getTime() - timestamp) > 3_600_000) return refuse('dingtalk-robot', 310000, 'sign not match, timestamp is invalid');
      if (q.get('sign') !== expected) return refuse('dingtalk-robot', 310000, 'sign not match');
      const b = body as { msgtype?: string; text?: { content?: string }; at?: { atMobiles?: string[] } };
      if (b.msgtype !== 'text' || typeof b.text?.content !== 'string') return refuse('dingtalk-robot', 40035, 'missing param');
      if (inLastMinute('dingtalk-robot', token) >= fakes.perMinute) return refuse('dingtalk-robot', fakes.dingtalkRateLimitCode, 'send too fast, exceed 20 times per minute');
      fakes.messages.push({ service: 'dingtalk-robot', to: token, content: b.text.content, mentioned: b.at?.atMobiles ?? [], at: o.now() });
      return [200, { errcode: 0, errmsg: 'ok' }];
    });

  if (o.wecomApp) {
    const app = o.wecomApp;
    nock(WECOM_API)
      .persist()
      .get('/cgi-bin/gettoken')
      .query(true)
      .reply((uri) => {
        const q = new URL(uri, WECOM_API).searchParams;
        if (q.get('corpid') !== app.corpId || q.get('corpsecret') !== app.corpSecret) return refuse('wecom-app', 40001, 'invalid credential');
        const token = `tok-${fakes.tokensIssued.length + 1}`;
        fakes.tokensIssued.push(token);
        live.add(token);
        return [200, { errcode: 0, errmsg: 'ok', access_token: token, expires_in: app.expiresIn ?? 7200 }];
      });
    nock(WECOM_API)
      .persist()
      .post('/cgi-bin/message/send')
      .query(true)
      .reply((uri, body) => {
        const token = new URL(uri, WECOM_API).searchParams.get('access_token') ?? '';
        if (!live.has(token)) return refuse('wecom-app', fakes.tokensIssued.includes(token) ? 42001 : 40014, 'access_token expired');
        const b = body as { touser?: string; msgtype?: string; agentid?: number; text?: { content?: string } };
        if (b.msgtype !== 'text' || typeof b.text?.content !== 'string' || !b.touser || typeof b.agentid !== 'number') return refuse('wecom-app', 40008, 'invalid message');
        fakes.messages.push({ service: 'wecom-app', to: b.touser, content: b.text.content, mentioned: [], at: o.now() });
        return [200, { errcode: 0, errmsg: 'ok', invaliduser: '' }];
      });
  }
  return fakes;
}
