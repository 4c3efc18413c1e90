import type { Db } from './db';
import { stringOrNull } from './row-values';

export type ChannelKind = 'wecom-robot' | 'dingtalk-robot' | 'wecom-app';
export const CHANNEL_KINDS: readonly ChannelKind[] = ['wecom-robot', 'dingtalk-robot', 'wecom-app'];

/** What a channel needs to send; never returned by the API. */
export interface ChannelSecrets {
  key?: string;
  accessToken?: string;
  secret?: string;
  corpId?: string;
  corpSecret?: string;
  agentId?: string;
}

export interface NotifyChannel {
  id: string;
  kind: ChannelKind;
  name: string;
  secrets: ChannelSecrets;
  createdAt: Date;
}

/** How one agent is reached: 'sms' or a channel id; mobile for @-mentions (and SMS), userId for a wecom-app. */
export interface AgentNotifyPref {
  channel: string;
  mobile: string | null;
  userId: string | null;
}

export type NotificationStatus = 'queued' | 'sent' | 'failed';

export interface Notification {
  id: string;
  agentId: string | null;
  channel: string;
  kind: string;
  body: string;
  /** A ring card's facts (made into the body when sent). */
  card: RingCardFacts | null;
  target: { mobile?: string | null; userId?: string | null };
  status: NotificationStatus;
  attempts: number;
  errorCode: string | null;
  nextAttemptAt: Date;
  createdAt: Date;
  sentAt: Date | null;
  /** The order it was queued in (created_at may tie). */
  seq: number;
}

/** What the ring card shows, read in the same statement that queues it. */
export interface RingCardFacts {
  callId: string;
  from: string;
  name: string | null;
  calls: { at: string; outcome: string | null; type: string | null }[];
  complaint: boolean;
  callbackDueAt: string | null;
  /** The caller's open tickets (follow-ups, dispatches, return visits), soonest due first; absent on cards queued before tickets. */
  tickets?: { kind: string; dueAt: string }[];
}

type Row = Record<string, unknown>;
const toPref = (r: Row): AgentNotifyPref => ({ channel: r.channel as string, mobile: stringOrNull(r.mobile), userId: stringOrNull(r.user_id) });

const toChannel = (r: Row): NotifyChannel => ({
  id: r.id as string,
  kind: r.kind as ChannelKind,
  name: r.name as string,
  secrets: (typeof r.secrets === 'string' ? JSON.parse(r.secrets) : r.secrets) as ChannelSecrets,
  createdAt: new Date(r.created_at as string),
});
const json = <T>(v: unknown): T => (typeof v === 'string' ? JSON.parse(v) : v) as T;
const toNotification = (r: Row): Notification => ({
  id: r.id as string,
  agentId: (r.agent_id as string | null) ?? null,
  channel: r.channel as string,
  kind: r.kind as string,
  body: r.body as string,
  card: r.card == null ? null : json<RingCardFacts>(r.card),
  target: json(r.target ?? {}),
  status: r.status as NotificationStatus,
  attempts: Number(r.attempts),
  errorCode: (r.error_code as string | null) ?? null,
  nextAttemptAt: new Date(r.next_attempt_at as string),
  createdAt: new Date(r.created_at as string),
  sentAt: r.sent_at ? new Date(r.sent_at as string) : null,
  seq: Number(r.seq),
});

/** The notifier's rows (migration 0033): channels, agents' choices, the alerts channel, the outbox. */
export class PostgresNotifyStore {
  constructor(private readonly db: Db) {}

  async createChannel(c: { kind: ChannelKind; name: string; secrets: ChannelSecrets; now: Date }): Promise<NotifyChannel> {
    const rows = await this.db.query<Row>(
      `INSERT INTO notify_channels (kind, name, secrets, created_at) VALUES ($1, $2, $3, $4) RETURNING *`,
      [c.kind, c.name, JSON.stringify(c.secrets), c.now],
    );
    return toChannel(rows[0]!);
  }

  async listChannels(): Promise<NotifyChannel[]> {
    return (await this.db.query<Row>('SELECT * FROM notify_channels WHERE deleted_at IS NULL ORDER BY created_at, id')).map(toChannel);
  }

  async channel(id: string): Promise<NotifyChannel | null> {
    const rows = await this.db.query<Row>('SELECT * FROM notify_channels WHERE id::text = $1 AND deleted_at IS NULL', [id]);
    return rows[0] ? toChannel(rows[0]) : null;
  }

  /** Soft delete: the outbox keeps naming it; agents pointed at it fall back to SMS. */
  async deleteChannel(id: string, now: Date): Promise<boolean> {
    const rows = await this.db.query('UPDATE notify_channels SET deleted_at = $2 WHERE id::text = $1 AND deleted_at IS NULL RETURNING id', [id, now]);
    return rows.length > 0;
  }

  async agentPref(agentId: string): Promise<AgentNotifyPref | null> {
    const rows = await this.db.query<Row>('SELECT channel, mobile, user_id FROM agent_notify WHERE agent_id = $1', [agentId]);
    return rows[0] ? toPref(rows[0]) : null;
  }

  /** Every agent's choice on record, by agent id (an agent with none is on SMS). */
  async agentPrefs(): Promise<Map<string, AgentNotifyPref>> {
    const rows = await this.db.query<Row>('SELECT agent_id, channel, mobile, user_id FROM agent_notify');
    return new Map(rows.map((r) => [r.agent_id as string, toPref(r)]));
  }

  async setAgentPref(agentId: string, p: AgentNotifyPref, now: Date): Promise<void> {
    await this.db.query(
      `INSERT INTO agent_notify (agent_id, channel, mobile, user_id, updated_at) VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT (agent_id) DO UPDATE SET channel = EXCLUDED.channel, mobile = EXCLUDED.mobile, user_id = EXCLUDED.user_id, updated_at = EXCLUDED.updated_at`,
      [agentId, p.channel, p.mobile, p.userId, now],
    );
  }

  async agentLanguage(agentId: string): Promise<'zh-CN' | 'en-US'> {
    const rows = await this.db.query<{ language: 'zh-CN' | 'en-US' }>('SELECT language FROM agent_page_prefs WHERE agent_id = $1', [agentId]);
    return rows[0]?.language ?? 'zh-CN';
  }

  async setting(name: string): Promise<string | null> {
    const rows = await this.db.query<{ value: string }>('SELECT value FROM notify_settings WHERE name = $1', [name]);
    return rows[0]?.value ?? null;
  }

  async setSetting(name: string, value: string, now: Date): Promise<void> {
    await this.db.query(
      `INSERT INTO notify_settings (name, value, updated_at) VALUES ($1, $2, $3)
       ON CONFLICT (name) DO UPDATE SET value = EXCLUDED.value, updated_at = EXCLUDED.updated_at`,
      [name, value, now],
    );
  }

  async enqueue(n: { agentId: string | null; channel: string; kind: string; body: string; target: Notification['target']; now: Date }): Promise<string> {
    const rows = await this.db.query<{ id: string }>(
      `INSERT INTO notifications (agent_id, channel, kind, body, target, next_attempt_at, created_at) VALUES ($1, $2, $3, $4, $5, $6, $6) RETURNING id`,
      [n.agentId, n.channel, n.kind, n.body, JSON.stringify(n.target), n.now],
    );
    return rows[0]!.id;
  }

  /** A delivery made at once (SMS), for the log: sent, or failed with the provider's error code. */
  async record(n: { agentId: string | null; channel: string; kind: string; body: string; target: Notification['target']; errorCode: string | null; now: Date }): Promise<void> {
    await this.db.query(
      `INSERT INTO notifications (agent_id, channel, kind, body, target, status, attempts, error_code, next_attempt_at, created_at, sent_at)
       VALUES ($1, $2, $3, $4, $5, $6, 1, $7, $8, $8, $9)`,
      [n.agentId, n.channel, n.kind, n.body, JSON.stringify(n.target), n.errorCode ? 'failed' : 'sent', n.errorCode, n.now, n.errorCode ? null : n.now],
    );
  }

  /**
   * The ring card, in one statement: queued only when the agent's channel is not SMS, with what
   * the customer file, the caller's last 3 calls and their open complaint or callback say.
   * Returns whether a card was queued.
   */
  async enqueueRingCard(agentId: string, callId: string, from: string, now: Date): Promise<boolean> {
    const rows = await this.db.query(
      `INSERT INTO notifications (agent_id, channel, kind, body, card, target, next_attempt_at, created_at)
       SELECT n.agent_id, n.channel, 'ring-card', '',
              jsonb_build_object(
                'callId', $2::text,
                'from', $3::text,
                'name', (SELECT coalesce(cu.name, cu.name_suggestion) FROM customers cu WHERE cu.phone = $3),
                'calls', (SELECT coalesce(jsonb_agg(jsonb_build_object('at', c.started_at, 'outcome', c.outcome, 'type', c.call_type) ORDER BY c.started_at DESC), '[]'::jsonb)
                            FROM (SELECT started_at, outcome, call_type FROM calls WHERE from_number = $3 AND id::text <> $2 ORDER BY started_at DESC LIMIT 3) c),
                'complaint', EXISTS (SELECT 1 FROM complaint_cases cc WHERE cc.phone = $3 AND cc.status <> 'closed' AND NOT cc.withheld),
                'callbackDueAt', (SELECT min(cb.due_at) FROM callbacks cb WHERE cb.phone = $3 AND cb.status IN ('open', 'attempted')),
                'tickets', (SELECT coalesce(jsonb_agg(jsonb_build_object('kind', tk.kind, 'dueAt', tk.due_at) ORDER BY tk.due_at), '[]'::jsonb)
                              FROM (SELECT kind, due_at FROM tickets WHERE phone = $3 AND status <> 'closed' ORDER BY due_at LIMIT 3) tk)
              ),
              jsonb_build_object('mobile', n.mobile, 'userId', n.user_id), $4, $4
         FROM agent_notify n JOIN notify_channels ch ON ch.id::text = n.channel AND ch.deleted_at IS NULL
        WHERE n.agent_id = $1
       RETURNING id`,
      [agentId, callId, from, now],
    );
    return rows.length > 0;
  }

  /** Takes due rows for this instance: each one's next try moves a lease ahead, so no other instance takes it meanwhile. */
  async claimDue(now: Date, leaseMs: number, limit: number): Promise<Notification[]> {
    const rows = await this.db.query<Row>(
      `UPDATE notifications SET next_attempt_at = $2, attempts = attempts + 1
        WHERE id IN (SELECT id FROM notifications WHERE status = 'queued' AND next_attempt_at <= $1 ORDER BY next_attempt_at, created_at, seq LIMIT $3 FOR UPDATE SKIP LOCKED)
        RETURNING *`,
      [now, new Date(now.getTime() + leaseMs), limit],
    );
    return rows.map(toNotification).sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime() || a.seq - b.seq);
  }

  /** Messages a channel sent since `since` (a robot's minute), the earliest first. */
  async sentSince(channel: string, since: Date): Promise<Date[]> {
    const rows = await this.db.query<{ sent_at: string }>(`SELECT sent_at FROM notifications WHERE channel = $1 AND status = 'sent' AND sent_at > $2 ORDER BY sent_at`, [channel, since]);
    return rows.map((r) => new Date(r.sent_at));
  }

  async markSent(id: string, body: string, now: Date): Promise<void> {
    await this.db.query(`UPDATE notifications SET status = 'sent', body = $2, sent_at = $3, error_code = NULL WHERE id = $1`, [id, body, now]);
  }

  async markFailed(id: string, errorCode: string): Promise<void> {
    await this.db.query(`UPDATE notifications SET status = 'failed', error_code = $2 WHERE id = $1`, [id, errorCode]);
  }

  /** Back in the queue for later; a rate-limit answer does not count as a try (`countTry` false). */
  async retryLater(id: string, at: Date, errorCode: string | null, countTry: boolean): Promise<void> {
    await this.db.query(`UPDATE notifications SET next_attempt_at = $2, error_code = $3, attempts = attempts - $4 WHERE id = $1`, [id, at, errorCode, countTry ? 0 : 1]);
  }

  async list(f: { agentId?: string; status?: NotificationStatus; since?: Date; limit: number }): Promise<Notification[]> {
    const where: string[] = [];
    const params: unknown[] = [];
    if (f.agentId) where.push(`agent_id::text = $${params.push(f.agentId)}`);
    if (f.status) where.push(`status = $${params.push(f.status)}`);
    if (f.since) where.push(`created_at >= $${params.push(f.since)}`);
    const rows = await this.db.query<Row>(
      `SELECT * FROM notifications ${where.length ? 'WHERE ' + where.join(' AND ') : ''} ORDER BY created_at DESC, seq DESC LIMIT $${params.push(f.limit)}`,
      params,
    );
    return rows.map(toNotification);
  }
}
