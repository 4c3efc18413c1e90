import { createHmac } from 'node:crypto';
import type { Clock } from '../domain/clock';
import type { NotifyChannel } from '../postgres/notify-store';
import { requestJson } from './http-json';

/**
 * The wire formats of the channels (README "Notices: WeCom, DingTalk, SMS" cites where each was
 * checked). Each answers what happened in the channel's own error code:
 *   ok           the message was taken (errcode 0)
 *   rate-limited the robot's ~20 a minute is used up (WeCom 45009, DingTalk 130101 or 410100): try later
 *   failed       anything else; `retry` false when trying again cannot help (a bad key)
 */
export type SendResult = { outcome: 'ok' } | { outcome: 'rate-limited'; code: string; waitMs?: number } | { outcome: 'failed'; code: string; retry: boolean };

export interface ChannelTarget {
  mobile?: string | null;
  userId?: string | null;
}

export const WECOM_RATE_LIMIT: ReadonlySet<number> = new Set([45009]);
/** DingTalk's custom robot answers "send too fast" as 130101 (older robots) or 410100 (its error-code table). */
export const DINGTALK_RATE_LIMIT: ReadonlySet<number> = new Set([130101, 410100]);
/** A DingTalk robot past its limit is throttled for 10 minutes, answering with a 302 redirect meanwhile. */
const DINGTALK_THROTTLE_MS = 10 * 60_000;
/** WeCom's answers for an access token that expired or is not valid: fetch another and send again. */
const WECOM_TOKEN_EXPIRED = new Set([42001, 40014]);
/** WeCom's and DingTalk's answers that another try cannot change (bad key, token, secret, user). */
const PERMANENT = new Set([93000, 40001, 40003, 40013, 40056, 300001, 310000, 400101, 400102]);

/** DingTalk's signature: base64(HMAC-SHA256(secret, `${timestamp}\n${secret}`)), URL-encoded. */
export function dingtalkSign(secret: string, timestamp: number): string {
  return encodeURIComponent(createHmac('sha256', secret).update(`${timestamp}\n${secret}`, 'utf8').digest('base64'));
}

/** A mobile as WeCom and DingTalk @-mention it: mainland numbers without +86. */
export function mentionMobile(mobile: string | null | undefined): string[] {
  if (!mobile) return [];
  return [mobile.replace(/^\+86/, '')];
}

function answer(errcode: unknown, rateLimit: ReadonlySet<number>): SendResult {
  const code = Number(errcode ?? -1);
  if (code === 0) return { outcome: 'ok' };
  if (rateLimit.has(code)) return { outcome: 'rate-limited', code: String(code) };
  return { outcome: 'failed', code: String(code), retry: !PERMANENT.has(code) };
}

export interface ChannelSenderOptions {
  wecomBaseUrl: string;
  dingtalkBaseUrl: string;
  clock: Clock;
}

/** Sends one text through a channel; keeps each wecom-app's access token until it expires. */
export class ChannelSender {
  private readonly tokens = new Map<string, { token: string; expiresAt: number }>();

  constructor(private readonly o: ChannelSenderOptions) {}

  async send(channel: NotifyChannel, content: string, target: ChannelTarget): Promise<SendResult> {
    switch (channel.kind) {
      case 'wecom-robot':
        return this.wecomRobot(channel, content, target);
      case 'dingtalk-robot':
        return this.dingtalkRobot(channel, content, target);
      case 'wecom-app':
        return this.wecomApp(channel, content, target);
    }
  }

  private async wecomRobot(channel: NotifyChannel, content: string, target: ChannelTarget): Promise<SendResult> {
    const url = `${this.o.wecomBaseUrl}/cgi-bin/webhook/send?key=${encodeURIComponent(channel.secrets.key ?? '')}`;
    const res = await requestJson('POST', url, { msgtype: 'text', text: { content, mentioned_mobile_list: mentionMobile(target.mobile) } });
    if (res.status >= 500) return { outcome: 'failed', code: `http-${res.status}`, retry: true };
    return answer(res.body.errcode, WECOM_RATE_LIMIT);
  }

  private async dingtalkRobot(channel: NotifyChannel, content: string, target: ChannelTarget): Promise<SendResult> {
    const timestamp = this.o.clock.now().getTime();
    const token = encodeURIComponent(channel.secrets.accessToken ?? '');
    const sign = channel.secrets.secret ? `&timestamp=${timestamp}&sign=${dingtalkSign(channel.secrets.secret, timestamp)}` : '';
    const atMobiles = mentionMobile(target.mobile);
    const res = await requestJson('POST', `${this.o.dingtalkBaseUrl}/robot/send?access_token=${token}${sign}`, { msgtype: 'text', text: { content }, at: { atMobiles } });
    if (res.status === 302) return { outcome: 'rate-limited', code: 'http-302', waitMs: DINGTALK_THROTTLE_MS };
    if (res.status >= 500) return { outcome: 'failed', code: `http-${res.status}`, retry: true };
    return answer(res.body.errcode, DINGTALK_RATE_LIMIT);
  }

  private async wecomApp(channel: NotifyChannel, content: string, target: ChannelTarget): Promise<SendResult> {
    if (!target.userId) return { outcome: 'failed', code: 'no-user-id', retry: false };
    for (let round = 0; round < 2; round++) {
      const token = await this.accessToken(channel, round > 0);
      if (typeof token !== 'string') return token;
      const res = await requestJson('POST', `${this.o.wecomBaseUrl}/cgi-bin/message/send?access_token=${encodeURIComponent(token)}`, {
        touser: target.userId,
        msgtype: 'text',
        agentid: Number(channel.secrets.agentId),
        text: { content },
      });
      if (res.status >= 500) return { outcome: 'failed', code: `http-${res.status}`, retry: true };
      const code = Number(res.body.errcode ?? -1);
      if (WECOM_TOKEN_EXPIRED.has(code)) {
        this.tokens.delete(channel.id);
        continue;
      }
      return answer(code, WECOM_RATE_LIMIT);
    }
    return { outcome: 'failed', code: '42001', retry: true };
  }

  /** The app's access token: kept until expires_in runs out (a minute early), fetched again when WeCom says it expired. */
  private async accessToken(channel: NotifyChannel, refetch: boolean): Promise<string | SendResult> {
    const now = this.o.clock.now().getTime();
    const held = this.tokens.get(channel.id);
    if (held && !refetch && held.expiresAt > now) return held.token;
    const q = new URLSearchParams({ corpid: channel.secrets.corpId ?? '', corpsecret: channel.secrets.corpSecret ?? '' });
    const res = await requestJson('GET', `${this.o.wecomBaseUrl}/cgi-bin/gettoken?${q.toString()}`);
    const code = Number(res.body.errcode ?? 0);
    if (res.status >= 500) return { outcome: 'failed', code: `http-${res.status}`, retry: true };
    if (code !== 0 || typeof res.body.access_token !== 'string') return { outcome: 'failed', code: String(code || -1), retry: !PERMANENT.has(code) };
    const expiresIn = Number(res.body.expires_in ?? 7200);
    this.tokens.set(channel.id, { token: res.body.access_token, expiresAt: now + Math.max(0, expiresIn - 60) * 1000 });
    return res.body.access_token;
  }
}
