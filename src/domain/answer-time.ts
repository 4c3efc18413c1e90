import { secondsBetween } from './clock';

/**
 * Answer time against the 10-second rule (R2). Ring time comes from Twilio's own event
 * Timestamps (1 s resolution, immune to webhook delivery delay); the caller's wait runs from
 * the call's arrival to the agent's key press, the moment the caller is actually put through.
 */
export interface LegTimestamps {
  initiatedAt: Date | null;
  ringingAt: Date | null;
  answeredAt: Date | null;
}

/** Seconds the agent's phone rang before it was picked up; null when it never was. */
export function ringSeconds(leg: LegTimestamps): number | null {
  const start = leg.ringingAt ?? leg.initiatedAt;
  if (!start || !leg.answeredAt) return null;
  return Math.max(0, secondsBetween(start, leg.answeredAt));
}

export function waitSeconds(arrivedAt: Date, until: Date): number {
  return Math.max(0, Math.round(secondsBetween(arrivedAt, until) * 1000) / 1000);
}

export function withinAnswerRule(wait: number, thresholdSeconds: number): boolean {
  return wait <= thresholdSeconds;
}

/**
 * The agent is asked to apologise when the caller will have waited past the threshold by the
 * time they are put through: `aheadSeconds` is how much longer that will take from `now` (the
 * rest of the whisper, when judged as it starts; nothing at the key press itself).
 */
export function owesApology(arrivedAt: Date, now: Date, thresholdSeconds: number, aheadSeconds = 0): boolean {
  return secondsBetween(arrivedAt, now) + aheadSeconds > thresholdSeconds;
}

/** Twilio's Dial timeout gets a ~5 s buffer added; ask for 5 s less so the phone rings about as long as configured. */
export function dialTimeoutFor(ringSeconds: number, remainingWaitSeconds: number): number {
  const wanted = Math.min(ringSeconds, remainingWaitSeconds);
  return Math.max(5, Math.floor(wanted) - 5);
}

/** Leg event Timestamp: RFC 2822 from Twilio ("Mon, 23 Nov 2026 12:00:00 +0000"). */
export function parseTwilioTimestamp(raw: string | undefined, fallback: Date): Date {
  if (!raw) return fallback;
  const t = Date.parse(raw);
  return Number.isNaN(t) ? fallback : new Date(t);
}
