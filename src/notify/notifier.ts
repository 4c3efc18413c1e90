import type { Clock } from '../domain/clock';
import { isE164, maskPhone } from '../domain/endpoint';
import type { Agent } from '../domain/ports';
import { signLink } from '../domain/signed-link';
import { agentPageUrl } from '../agent-page/agent-page-link';
import type { Logger } from '../logger';
import type { Notification, NotifyChannel, PostgresNotifyStore } from '../postgres/notify-store';
import type { SmsSender } from '../sms';
import type { ChannelSender } from './channels';
import { maskForGroup, pick, ringCardText, type NoticeLanguage, type NoticeText } from './notice-text';

/** Tokens of the call page (src/after-call/notes-link.ts signs the same). */
const CALL_PAGE_PURPOSE = 'call-notes';
/** How long a claimed row is held by this instance before another may send it (its sender died). */
const LEASE_MS = 60_000;
const BATCH = 50;
/** A robot's documented limit: about 20 messages a minute each. */
const ROBOT_PER_MINUTE = 20;
const MINUTE_MS = 60_000;

/** The agent has no number that takes SMS (a SIP endpoint) and no other channel. */
export class NoSmsEndpointError extends Error {
  constructor(agentId: string) {
    super(`agent ${agentId} has no E.164 number to text (a sip: endpoint takes no SMS): give them a mobile or a WeCom/DingTalk channel`);
    this.name = 'NoSmsEndpointError';
  }
}

export interface NotifierDeps {
  store: PostgresNotifyStore;
  sms: SmsSender;
  channels: ChannelSender;
  clock: Clock;
  logger: Logger;
  /** The language SMS were sent in before the notifier (PROMPT_LANGUAGE). */
  smsLanguage: NoticeLanguage;
  adminPhones: readonly string[];
  linkSecret: string;
  linkTtlHours: number;
  /** How long the agent page's link lasts (AGENT_PAGE_TTL_HOURS). */
  pageTtlHours: number;
  publicBaseUrl: string;
  timeZone: string;
  maxAttempts: number;
}

export type Delivery = { via: 'sms'; sid: string } | { via: 'queued'; id: string; channel: string };

/**
 * Every notice the product sends to an agent or to the admins. An agent on SMS (the default) is
 * texted at once, as before; an agent on a WeCom or DingTalk channel gets the notice through the
 * outbox (notifications), which `deliverDue` sends with retries, respecting each robot's rate.
 */
export class Notifier {
  /** Set by the notify feature: runs the outbox soon after something is queued. */
  wake: () => void = () => undefined;

  constructor(private readonly d: NotifierDeps) {}

  /**
   * A notice to one agent through their channel. `smsLanguage` overrides the SMS language (the
   * agent page's own messages already follow the agent's choice). SMS to an agent with no E.164
   * number (nor a mobile on file) throws NoSmsEndpointError: no SMS goes to a sip: URI.
   * `pageLink`: through a WeCom or DingTalk channel, the agent's page link is added (their remote
   * where texting ON/OFF cannot work); an SMS stays as it was.
   */
  async toAgent(
    agent: Pick<Agent, 'id' | 'phone'>,
    kind: string,
    text: NoticeText,
    opts: { from?: string; link?: string; smsLanguage?: NoticeLanguage; pageLink?: boolean } = {},
  ): Promise<Delivery> {
    const pref = await this.d.store.agentPref(agent.id);
    const channel = pref && pref.channel !== 'sms' ? await this.d.store.channel(pref.channel) : null;
    if (!channel) {
      const to = isE164(agent.phone) ? agent.phone : pref?.mobile && isE164(pref.mobile) ? pref.mobile : null;
      const body = pick(text, opts.smsLanguage ?? this.d.smsLanguage) + (opts.link ? `\n${opts.link}` : '');
      if (!to) {
        await this.logSms(agent.id, kind, body, null, 'no-sms-endpoint');
        throw new NoSmsEndpointError(agent.id);
      }
      const sent = await this.textLogged(agent.id, kind, to, body, opts.from);
      return { via: 'sms', sid: sent.sid };
    }
    const language = await this.d.store.agentLanguage(agent.id);
    const page = opts.pageLink ? `\n${language === 'en-US' ? 'Your page' : '我的页面'}：${this.pageUrl(agent.id)}` : '';
    const body = this.forChannel(channel, pick(text, language) + (opts.link ? `\n${opts.link}` : '') + page);
    const id = await this.d.store.enqueue({ agentId: agent.id, channel: channel.id, kind, body, target: { mobile: pref?.mobile, userId: pref?.userId }, now: this.d.clock.now() });
    this.wake();
    return { via: 'queued', id, channel: channel.id };
  }

  /**
   * A notice to someone outside the hotline team (a ticket's assignee): into the notify channel
   * named (its target the person's mobile), else by SMS to their mobile. Throws when neither can
   * reach them (the channel was deleted, no E.164 mobile).
   */
  async toPerson(person: { mobile: string | null; channel: string | null }, kind: string, text: string, opts: { from?: string; link?: string } = {}): Promise<Delivery> {
    const body = text + (opts.link ? `\n${opts.link}` : '');
    if (person.channel) {
      const channel = await this.d.store.channel(person.channel);
      if (!channel) throw new Error(`notify channel ${person.channel} does not exist (deleted?)`);
      const id = await this.d.store.enqueue({ agentId: null, channel: channel.id, kind, body: this.forChannel(channel, body), target: { mobile: person.mobile ?? undefined }, now: this.d.clock.now() });
      this.wake();
      return { via: 'queued', id, channel: channel.id };
    }
    if (!person.mobile || !isE164(person.mobile)) throw new Error('no E.164 mobile to text and no notify channel');
    const sent = await this.textLogged(null, kind, person.mobile, body, opts.from);
    return { via: 'sms', sid: sent.sid };
  }

  /** Whether a notify channel (WeCom/DingTalk) of this id exists. */
  async channelExists(id: string): Promise<boolean> {
    return (await this.d.store.channel(id)) !== null;
  }

  /** The alerts channel chosen with PUT /api/alerts, if any (else ADMIN_ALERT_PHONES by SMS). */
  async alertsChannel(): Promise<NotifyChannel | null> {
    const id = await this.d.store.setting('alerts');
    return id && id !== 'sms' ? this.d.store.channel(id) : null;
  }

  /**
   * An alert for the admins: into the alerts channel when one is chosen, else by SMS to each of
   * ADMIN_ALERT_PHONES (also when the database cannot say which channel). Answers how many were
   * sent or queued; a failed SMS goes to `onError` when given, else it is thrown.
   */
  async toAdmins(kind: string, text: string, opts: { from?: string; onError?: (phone: string, err: unknown) => void } = {}): Promise<number> {
    const channel = await this.alertsChannel().catch((err: unknown) => {
      this.d.logger.warn('alerts channel unknown (database): alerting by SMS', { err });
      return null;
    });
    if (channel) {
      await this.d.store.enqueue({ agentId: null, channel: channel.id, kind, body: this.forChannel(channel, text), target: {}, now: this.d.clock.now() });
      this.wake();
      return 1;
    }
    let sent = 0;
    for (const phone of this.d.adminPhones) {
      try {
        await this.textLogged(null, kind, phone, text, opts.from);
        sent++;
      } catch (err) {
        if (!opts.onError) throw err;
        opts.onError(phone, err);
      }
    }
    return sent;
  }

  /** Whether an admins' alert would reach anyone. */
  async hasAdminAlerts(): Promise<boolean> {
    return this.d.adminPhones.length > 0 || (await this.alertsChannel().catch(() => null)) !== null;
  }

  /** The ring card (one statement, queued only for an agent whose channel is not SMS). */
  async ringCard(agentId: string, call: { id: string; from: string }): Promise<boolean> {
    const queued = await this.d.store.enqueueRingCard(agentId, call.id, call.from, this.d.clock.now());
    if (queued) this.wake();
    return queued;
  }

  /** An SMS as before, its outcome kept in the delivery log (channel 'sms', Twilio's error code when it failed). */
  private async textLogged(agentId: string | null, kind: string, to: string, body: string, from: string | undefined): Promise<{ sid: string }> {
    try {
      const sent = await this.d.sms.send(to, body, { from });
      await this.logSms(agentId, kind, body, to, null);
      return sent;
    } catch (err) {
      const code = (err as { code?: unknown })?.code;
      await this.logSms(agentId, kind, body, to, code === undefined || code === null ? 'error' : String(code));
      throw err;
    }
  }

  /** The log never stops a send: a row that cannot be written (the database is down) is only logged. */
  private async logSms(agentId: string | null, kind: string, body: string, to: string | null, errorCode: string | null): Promise<void> {
    await this.d.store
      .record({ agentId, channel: 'sms', kind, body, target: { mobile: to }, errorCode, now: this.d.clock.now() })
      .catch((err: unknown) => this.d.logger.warn('sms delivery not logged', { kind, to: maskPhone(to), err }));
  }

  private pageUrl(agentId: string): string {
    return agentPageUrl({ secret: this.d.linkSecret, publicBaseUrl: this.d.publicBaseUrl, ttlHours: this.d.pageTtlHours, now: this.d.clock.now() }, agentId).url;
  }

  /** A robot posts into a group: no full number reaches it. */
  private forChannel(channel: NotifyChannel, body: string): string {
    return channel.kind === 'wecom-app' ? body : maskForGroup(body);
  }

  /** Sends what is due in the outbox: a pass of up to 50, each robot kept within its minute. */
  async deliverDue(now: Date = this.d.clock.now()): Promise<{ sent: number; later: number; failed: number }> {
    const due = await this.d.store.claimDue(now, LEASE_MS, BATCH);
    const tally = { sent: 0, later: 0, failed: 0 };
    const byChannel = new Map<string, Notification[]>();
    for (const n of due) byChannel.set(n.channel, [...(byChannel.get(n.channel) ?? []), n]);
    for (const [channelId, rows] of byChannel) {
      const channel = await this.d.store.channel(channelId);
      if (!channel) {
        for (const n of rows) await this.d.store.markFailed(n.id, 'channel-deleted');
        tally.failed += rows.length;
        continue;
      }
      const robot = channel.kind !== 'wecom-app';
      const recent = robot ? await this.d.store.sentSince(channel.id, new Date(now.getTime() - MINUTE_MS)) : [];
      let held = false;
      for (const n of rows) {
        // The robot's minute is used up (by us, or it said so): the rest waits its turn, in order.
        if (held || (robot && recent.length >= ROBOT_PER_MINUTE)) {
          const free = held ? now.getTime() + MINUTE_MS : recent[recent.length - ROBOT_PER_MINUTE]!.getTime() + MINUTE_MS;
          await this.d.store.retryLater(n.id, new Date(free), n.errorCode, false);
          tally.later++;
          continue;
        }
        const outcome = await this.deliverOne(channel, n, now);
        if (outcome === 'sent') {
          recent.push(now);
          tally.sent++;
        } else if (outcome === 'rate-limited') {
          held = true;
          tally.later++;
        } else if (outcome === 'later') tally.later++;
        else tally.failed++;
      }
    }
    return tally;
  }

  private async deliverOne(channel: NotifyChannel, n: Notification, now: Date): Promise<'sent' | 'rate-limited' | 'later' | 'failed'> {
    const body = n.card ? this.forChannel(channel, await this.cardBody(n)) : n.body;
    const result = await this.d.channels.send(channel, body, n.target).catch((err: unknown) => {
      this.d.logger.warn('notice not delivered: network', { notificationId: n.id, channel: channel.id, err: (err as Error)?.message });
      return { outcome: 'failed' as const, code: 'network', retry: true };
    });
    if (result.outcome === 'ok') {
      await this.d.store.markSent(n.id, body, now);
      this.d.logger.info('notice delivered', { notificationId: n.id, kind: n.kind, channel: channel.id, mobile: maskPhone(n.target.mobile) });
      return 'sent';
    }
    if (result.outcome === 'rate-limited') {
      // Never dropped: back in the queue once the robot's minute (or its throttle) has passed; not counted as a try.
      await this.d.store.retryLater(n.id, new Date(now.getTime() + (result.waitMs ?? MINUTE_MS)), result.code, false);
      this.d.logger.info('robot rate limit: notice queued for later', { notificationId: n.id, channel: channel.id, code: result.code });
      return 'rate-limited';
    }
    if (result.retry && n.attempts < this.d.maxAttempts) {
      await this.d.store.retryLater(n.id, new Date(now.getTime() + backoffMs(n.attempts)), result.code, true);
      return 'later';
    }
    await this.d.store.markFailed(n.id, result.code);
    this.d.logger.error('notice failed', { notificationId: n.id, kind: n.kind, channel: channel.id, code: result.code, attempts: n.attempts });
    return 'failed';
  }

  private async cardBody(n: Notification): Promise<string> {
    const card = n.card!;
    const language = n.agentId ? await this.d.store.agentLanguage(n.agentId) : 'zh-CN';
    const expiresAt = new Date(this.d.clock.now().getTime() + this.d.linkTtlHours * 3600_000);
    const token = signLink(this.d.linkSecret, { purpose: CALL_PAGE_PURPOSE, subject: card.callId, agentId: n.agentId ?? '', expiresAt });
    return ringCardText(card, `${this.d.publicBaseUrl}/m/calls/${token}`, language, this.d.timeZone);
  }
}

/** 30 s after the first failed try, doubling, at most 30 minutes. */
export function backoffMs(attempts: number): number {
  return Math.min(30_000 * 2 ** Math.max(0, attempts - 1), 30 * 60_000);
}
