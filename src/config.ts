import express from 'express';
import { z } from 'zod';
import { parseHolidays } from './domain/callback-deadline';
import { parseFineSchedule } from './domain/fines';
import { parseGradeThresholds, parseGradeWeights } from './domain/agent-grade';

/**
 * The whole configuration, read once from the environment. Every problem is reported at once,
 * naming the variable, and start-up stops; nothing silently falls back on a bad value.
 */
const optionalString = z
  .string()
  .optional()
  .transform((v) => (v === undefined || v.trim() === '' ? undefined : v.trim()));

const seconds = (fallback: number, min: number, max: number) =>
  z.coerce.number().int().min(min).max(max).default(fallback);

const e164 = /^\+[1-9]\d{6,14}$/;

const hhmm = (fallback: string) => z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'must be HH:mm, e.g. 08:00').default(fallback);

/** A comma-separated list read with one of the domain parsers; its error message becomes the issue. */
const csvWith = <T>(fallback: string, read: (csv: string) => T) =>
  z
    .string()
    .default(fallback)
    .transform((v, ctx) => {
      try {
        return read(v);
      } catch (err) {
        ctx.addIssue({ code: 'custom', message: (err as Error).message });
        return z.NEVER;
      }
    });

/**
 * Which proxies in front may say who the client is (X-Forwarded-For), as Express's `trust proxy`
 * takes it: off (the socket's address is the client's), a hop count, or the proxies' addresses and
 * subnets (and Express's names loopback, linklocal, uniquelocal). Trusting every hop is refused: the
 * client would then choose its own address, and with it escape the per-address sign-in throttle.
 */
const trustProxy = z
  .string()
  .default('')
  .transform((raw, ctx): false | number | string[] => {
    const v = raw.trim();
    if (v === '' || v === 'false' || v === '0') return false;
    if (/^\d+$/.test(v)) {
      const hops = Number(v);
      if (hops <= 10) return hops;
      ctx.addIssue({ code: 'custom', message: 'a hop count is 1–10 proxies' });
      return z.NEVER;
    }
    if (v === 'true') {
      ctx.addIssue({ code: 'custom', message: 'true would trust any X-Forwarded-For a client writes: give the number of proxies in front (e.g. 1) or their addresses' });
      return z.NEVER;
    }
    const list = v.split(',').map((s) => s.trim()).filter((s) => s !== '');
    try {
      // Express compiles the list as it is set: its own parser says what it would refuse.
      express().set('trust proxy', list);
    } catch (err) {
      ctx.addIssue({ code: 'custom', message: `${(err as Error).message}: give a hop count or addresses/subnets such as 10.0.0.0/8, loopback` });
      return z.NEVER;
    }
    return list;
  });

export const configSchema = z
  .object({
    NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
    PORT: z.coerce.number().int().min(0).max(65535).default(3000),
    // Off: X-Forwarded-For is ignored. Behind a proxy or load balancer: its hop count or addresses (README "Deploying").
    TRUST_PROXY: trustProxy,
    PUBLIC_BASE_URL: z
      .string()
      .url()
      .default('http://localhost:3000')
      .transform((v) => v.replace(/\/+$/, '')),
    TWILIO_ACCOUNT_SID: z
      .string()
      .regex(/^AC[0-9a-fA-F]{32}$/, 'must look like AC followed by 32 hex digits')
      .default('AC00000000000000000000000000000000'),
    TWILIO_AUTH_TOKEN: z.string().min(8, 'must be the primary auth token of the account').default('dev-auth-token-change-me'),
    TWILIO_API_BASE_URL: optionalString.pipe(z.string().url().optional()),
    DATABASE_URL: optionalString,
    // Connections each instance keeps to PostgreSQL (with DATABASE_URL); a query waits up to 5 s for a free one.
    DATABASE_POOL_SIZE: z.coerce.number().int().min(2).max(200).default(20),
    PGLITE_DATA_DIR: z.string().default('./data/pglite'),
    REDIS_URL: optionalString,
    REDIS_KEY_PREFIX: z.string().default('threering:'),
    // A Redis command not answered within this many ms fails, and coordination turns to PostgreSQL
    // (README "When Redis or PostgreSQL is down"): a webhook must not wait on a dead Redis.
    REDIS_COMMAND_TIMEOUT_MS: z.coerce.number().int().min(20).max(5000).default(250),
    ADMIN_TOKEN: z.string().min(16, 'must be at least 16 characters').default('dev-admin-token-change-me'),
    TIME_ZONE: z
      .string()
      .default('Asia/Shanghai')
      .refine((tz) => {
        try {
          new Intl.DateTimeFormat('en-US', { timeZone: tz });
          return true;
        } catch {
          return false;
        }
      }, 'must be an IANA time zone such as Asia/Shanghai'),
    ANSWER_THRESHOLD_SECONDS: seconds(10, 1, 120),
    AGENT_RING_SECONDS: seconds(15, 10, 120),
    MAX_CALLER_WAIT_SECONDS: seconds(60, 10, 1800),
    // Off: the first agent's phone rings the moment the call arrives. On: a recorded greeting
    // (and the callback offer) is said first, at the cost of ~5 s of the caller's 10 (README).
    GREETING_BEFORE_RING: z.enum(['true', 'false'], { message: 'must be true or false' }).default('false').transform((v) => v === 'true'),
    HOLD_MUSIC_URL: z.string().url().default('http://com.twilio.music.classical.s3.amazonaws.com/BusyStrings.mp3'),
    WAITING_LINE_SWEEP_SECONDS: seconds(5, 1, 60),
    OUTBOX_RETRY_SECONDS: seconds(10, 1, 3600),
    SCREEN_TIMEOUT_SECONDS: seconds(6, 3, 20),
    MAX_TALK_SECONDS: seconds(14400, 60, 86400),
    CALL_SETTLE_SECONDS: seconds(60, 5, 3600),
    WEBHOOK_DEADLINE_SECONDS: seconds(12, 1, 14),
    PROMPT_LANGUAGE: z.enum(['zh-CN', 'en-US']).default('zh-CN'),
    PROMPT_VOICE: optionalString,
    FALLBACK_NUMBER: optionalString.pipe(z.string().regex(e164, 'must be an E.164 number such as +861012345678').optional()),
    SMS_FROM: optionalString.pipe(
      z
        .string()
        .regex(/^(\+[1-9]\d{6,14}|MG[0-9a-fA-F]{32})$/, 'must be an E.164 number or a Messaging Service SID (MG...)')
        .optional(),
    ),
    LINK_SECRET: z.string().min(16, 'must be at least 16 characters').default('dev-link-secret-change-me'),
    LINK_TTL_HOURS: seconds(24, 1, 24 * 14),
    // How long the agent's phone page link (/m/me/<token>) opens the page; each shift digest brings a fresh one.
    AGENT_PAGE_TTL_HOURS: seconds(24 * 7, 1, 24 * 31),
    CONSOLE_SESSION_HOURS: seconds(12, 1, 24 * 30),
    CONSOLE_LIVE_SECONDS: seconds(2, 1, 60),
    // On SIGTERM: /readyz says 503 and answers carry Connection: close this long before the port closes.
    DRAIN_NOTICE_SECONDS: seconds(5, 0, 120),
    REPEAT_CALLER_DAYS: seconds(7, 1, 365),
    RATING_TIMEOUT_SECONDS: seconds(6, 3, 20),
    CALLBACK_DAY_START: hhmm('08:00'),
    CALLBACK_DAY_END: hhmm('20:00'),
    CALLBACK_DAY_DUE_MINUTES: seconds(120, 5, 24 * 60),
    CALLBACK_NIGHT_DUE_MINUTES: seconds(120, 0, 24 * 60),
    CALLBACK_MAX_HOURS: seconds(24, 1, 24 * 7),
    CALLBACK_REMINDER_MINUTES: seconds(30, 1, 24 * 60),
    CALLBACK_MAX_ATTEMPTS: seconds(3, 1, 10),
    CALLBACK_RING_SECONDS: seconds(30, 10, 120),
    HOLIDAYS: csvWith('', parseHolidays),
    MIN_ABANDON_SECONDS: seconds(5, 0, 120),
    VOICE_MESSAGE_MAX_SECONDS: seconds(120, 10, 600),
    FINE_SCHEDULE: csvWith('20,50,100', parseFineSchedule),
    FINE_PERIOD: z.enum(['month', 'week']).default('month'),
    SCHEDULER_INTERVAL_SECONDS: seconds(30, 1, 3600),
    ADMIN_ALERT_PHONES: csvWith('', (csv) => {
      const phones = csv.split(',').map((s) => s.trim()).filter((s) => s !== '');
      for (const p of phones) if (!e164.test(p)) throw new Error(`'${p}' is not an E.164 number such as +8613800000000`);
      return phones;
    }),
    // Consecutive offers an agent lets go by (ring out, voicemail, declined) before they are paused.
    AUTO_PAUSE_AFTER: seconds(2, 1, 50),
    // Minutes after which an auto-paused agent is taken back on; 0 leaves them paused until they text ON.
    AUTO_PAUSE_RESUME_MINUTES: seconds(0, 0, 24 * 60),
    COMPLAINT_REPLY_MINUTES: seconds(30, 1, 24 * 60),
    COMPLAINT_REMINDER_MINUTES: seconds(10, 0, 24 * 60),
    COMPLAINT_SWEEP_SECONDS: seconds(30, 1, 3600),
    // The monthly evaluation (README "Monthly evaluation"): each part's weight, the scores for A-D, points per fine.
    GRADE_WEIGHTS: csvWith('accept:30,withinRule:20,callbacks:20,complaints:15,rating:15,quality:20', parseGradeWeights),
    GRADE_THRESHOLDS: csvWith('90,80,70,60', parseGradeThresholds),
    GRADE_FINE_POINTS: z.coerce.number().min(0).max(100).default(5),
    // Quality inspection (README "Quality inspection (质检)"): answered calls drawn per agent per finished week.
    QC_SAMPLE_PER_WEEK: seconds(3, 1, 100),
    // On: a call from an internal number or an agent's own phone rings agents like any call (a
    // test call); it is still marked internal, kept out of the figures and never a callback.
    INTERNAL_TEST_CALLS: z.enum(['true', 'false'], { message: 'must be true or false' }).default('false').transform((v) => v === 'true'),
    // Unset: no /metrics at all. Set: /metrics answers only this bearer token (README "Metrics").
    METRICS_TOKEN: optionalString.pipe(z.string().min(16, 'must be at least 16 characters').optional()),
    // Recordings (README "Recordings"): every bridged hotline and callback call, two channels; off records nothing.
    RECORDING: z.enum(['on', 'off'], { message: 'must be on or off' }).default('on').transform((v) => v === 'on'),
    // Days a recording is kept before the sweep deletes it at Twilio (held ones and open complaints are kept).
    RECORDING_RETENTION_DAYS: seconds(180, 1, 3650),
    RECORDING_SWEEP_SECONDS: seconds(3600, 10, 86400),
    LOG_LEVEL: z.enum(['error', 'warn', 'info', 'http', 'verbose', 'debug', 'silly']).default('info'),
    // Where this instance keeps the calls it put through while PostgreSQL was down (src/spool/); one folder per instance.
    SPOOL_DIR: z.string().min(1).default('./data/spool'),
    // The notifier (README "Notices: WeCom, DingTalk, SMS"): where WeCom and DingTalk are reached, the outbox's pace and tries.
    WECOM_API_BASE_URL: z.string().url().default('https://qyapi.weixin.qq.com').transform((v) => v.replace(/\/+$/, '')),
    DINGTALK_API_BASE_URL: z.string().url().default('https://oapi.dingtalk.com').transform((v) => v.replace(/\/+$/, '')),
    NOTIFY_INTERVAL_SECONDS: seconds(5, 1, 600),
    NOTIFY_MAX_ATTEMPTS: seconds(8, 1, 50),
    // Tickets (README "Tickets (工单)"): each kind's clock, the owner's reminder before it, a dispatch's chase, the sweep.
    TICKET_FOLLOW_UP_HOURS: seconds(24, 1, 24 * 30),
    TICKET_DISPATCH_DAYS: seconds(14, 1, 365),
    TICKET_DISPATCH_CHASE_DAYS: seconds(7, 1, 60),
    TICKET_RETURN_VISIT_HOURS: seconds(72, 1, 24 * 30),
    TICKET_REMINDER_MINUTES: seconds(60, 0, 24 * 60),
    TICKET_SWEEP_SECONDS: seconds(60, 1, 3600),
  })
  .superRefine((c, ctx) => {
    if (c.CALLBACK_DAY_START >= c.CALLBACK_DAY_END) {
      ctx.addIssue({ code: 'custom', path: ['CALLBACK_DAY_END'], message: `must be after CALLBACK_DAY_START (${c.CALLBACK_DAY_START})` });
    }
    if (c.NODE_ENV === 'production') {
      for (const key of ['TWILIO_AUTH_TOKEN', 'ADMIN_TOKEN', 'LINK_SECRET'] as const) {
        if (c[key].startsWith('dev-')) {
          ctx.addIssue({ code: 'custom', path: [key], message: 'must be set in production' });
        }
      }
    }
  });

export type Config = z.infer<typeof configSchema>;

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n  ${problems.join('\n  ')}`);
    this.name = 'ConfigError';
  }
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = configSchema.safeParse(env);
  if (!parsed.success) {
    throw new ConfigError(parsed.error.issues.map((i) => `${i.path.join('.') || '(env)'}: ${i.message}`));
  }
  return parsed.data;
}
