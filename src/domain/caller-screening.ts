import { isWithheldNumber } from './withheld-number';

/**
 * Who gets through (R10): blocklist rules, internal numbers and agents' reports decide, before a
 * call is answered, whether it is refused, told the hotline is for customers, warned, or rung.
 *
 * A pattern is an E.164 number (exact), a prefix ending in '*' ('+86170*'), or 'anonymous',
 * which matches every withheld caller ID (see withheld-number.ts).
 */
export type CallerPattern = { kind: 'exact'; number: string } | { kind: 'prefix'; prefix: string } | { kind: 'anonymous' };

const E164 = /^\+[1-9]\d{6,14}$/;
const PREFIX = /^\+[1-9]\d{0,13}\*$/;

/** Reads a pattern as the API takes it; null when it is none of the three forms. */
export function parseCallerPattern(raw: string): CallerPattern | null {
  const p = raw.trim();
  if (p.toLowerCase() === 'anonymous') return { kind: 'anonymous' };
  if (E164.test(p)) return { kind: 'exact', number: p };
  if (PREFIX.test(p)) return { kind: 'prefix', prefix: p.slice(0, -1) };
  return null;
}

/** The pattern as it is stored and shown: 'anonymous' in lower case, numbers as given. */
export function normalPattern(raw: string): string | null {
  const p = parseCallerPattern(raw);
  if (!p) return null;
  return p.kind === 'anonymous' ? 'anonymous' : p.kind === 'exact' ? p.number : `${p.prefix}*`;
}

export function patternMatches(pattern: string, from: string): boolean {
  const p = parseCallerPattern(pattern);
  if (!p) return false;
  if (p.kind === 'anonymous') return isWithheldNumber(from);
  // A withheld caller ID spelt in digits is no one's number: only 'anonymous' catches it.
  if (isWithheldNumber(from)) return false;
  const number = from.trim();
  return p.kind === 'exact' ? number === p.number : number.startsWith(p.prefix);
}

export interface BlockRule {
  id: string;
  pattern: string;
  expiresAt: Date | null;
  liftedAt: Date | null;
}

/** A rule blocks from creation until it is lifted or its expiry passes (the expiry itself is free again). */
export function ruleIsLive(r: BlockRule, now: Date): boolean {
  if (r.liftedAt && r.liftedAt <= now) return false;
  return !r.expiresAt || now < r.expiresAt;
}

export type ScreeningVerdict = 'reject' | 'internal' | 'internal-test' | 'warn' | 'pass';

export interface ScreeningFacts {
  from: string;
  now: Date;
  blockRules: BlockRule[];
  /** The admins' internal numbers and prefixes. */
  internalPatterns: string[];
  /** The phones of agents on the roster: their own calls are internal too. */
  agentPhones: string[];
  /** Reports standing (not lifted) against this exact number. */
  standingReports: number;
  /** INTERNAL_TEST_CALLS: an internal call is rung like any other (still kept out of the figures). */
  allowInternalTestCalls: boolean;
}

/**
 * The verdict on an arriving call, strongest first: a live block rule refuses it; an internal
 * number is told the line is for customers (or rung as a test call); a number reported once
 * hears a warning before it rings; anyone else passes.
 */
export function screenCaller(f: ScreeningFacts): ScreeningVerdict {
  if (f.blockRules.some((r) => ruleIsLive(r, f.now) && patternMatches(r.pattern, f.from))) return 'reject';
  const number = f.from.trim();
  const internal = (!isWithheldNumber(number) && f.agentPhones.includes(number)) || f.internalPatterns.some((p) => patternMatches(p, number));
  if (internal) return f.allowInternalTestCalls ? 'internal-test' : 'internal';
  if (f.standingReports > 0) return 'warn';
  return 'pass';
}

/** Reports that block a number: the second standing report (the first only warns). */
export const REPORTS_TO_BLOCK = 2;
