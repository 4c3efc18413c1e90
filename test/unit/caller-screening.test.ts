import { describe, expect, it } from 'vitest';
import { createLogger } from '../../src/logger';
import { ProtectionService } from '../../src/protection/caller-gate';
import { normalPattern, parseCallerPattern, patternMatches, ruleIsLive, screenCaller, type ScreeningFacts } from '../../src/domain/caller-screening';

const NOW = new Date('2026-11-23T02:00:00Z');
const facts = (f: Partial<ScreeningFacts>): ScreeningFacts => ({ from: '+8613911112222', now: NOW, blockRules: [], internalPatterns: [], agentPhones: [], standingReports: 0, allowInternalTestCalls: false, ...f });
const rule = (pattern: string, extra: { expiresAt?: Date; liftedAt?: Date } = {}) => ({ id: pattern, pattern, expiresAt: extra.expiresAt ?? null, liftedAt: extra.liftedAt ?? null });

describe('caller patterns', () => {
  it('reads an E.164 number, a prefix ending in *, or anonymous, and nothing else', () => {
    expect(parseCallerPattern('+8613911112222')).toEqual({ kind: 'exact', number: '+8613911112222' });
    expect(parseCallerPattern('+86170*')).toEqual({ kind: 'prefix', prefix: '+86170' });
    expect(normalPattern(' ANONYMOUS ')).toBe('anonymous');
    for (const bad of ['', '*', '+*', '8613911112222', '+86170**', '+0861*', 'nobody', '+86 139']) expect(parseCallerPattern(bad)).toBeNull();
  });

  it('matches exact numbers and prefixes, and withheld caller IDs only with anonymous', () => {
    expect(patternMatches('+8613911112222', '+8613911112222')).toBe(true);
    expect(patternMatches('+8613911112222', '+86139111122220')).toBe(false);
    expect(patternMatches('+86170*', '+8617012345678')).toBe(true);
    expect(patternMatches('+86170*', '+8617112345678')).toBe(false);
    expect(patternMatches('anonymous', 'Anonymous')).toBe(true);
    expect(patternMatches('anonymous', '+266696687')).toBe(true);
    expect(patternMatches('anonymous', '+8613911112222')).toBe(false);
    // +86282452253 spells UNAVAILABLE: a withheld ID, not a number in the +8628 prefix.
    expect(patternMatches('+8628*', '+86282452253')).toBe(false);
  });
});

describe('the verdict on an arriving call', () => {
  it('refuses a caller a live rule matches; an expired or lifted rule lets them through', () => {
    expect(screenCaller(facts({ blockRules: [rule('+8613911112222')] }))).toBe('reject');
    expect(screenCaller(facts({ blockRules: [rule('+86139*')] }))).toBe('reject');
    expect(screenCaller(facts({ blockRules: [rule('+8613911112222', { expiresAt: NOW })] }))).toBe('pass');
    expect(screenCaller(facts({ blockRules: [rule('+8613911112222', { expiresAt: new Date(NOW.getTime() + 1) })] }))).toBe('reject');
    expect(screenCaller(facts({ blockRules: [rule('+8613911112222', { liftedAt: NOW })] }))).toBe('pass');
    expect(ruleIsLive(rule('x', { liftedAt: new Date(NOW.getTime() + 1000) }), NOW)).toBe(true);
  });

  it('tells internal numbers and agent phones the line is for customers, or rings them as test calls', () => {
    expect(screenCaller(facts({ internalPatterns: ['+86139*'] }))).toBe('internal');
    expect(screenCaller(facts({ agentPhones: ['+8613911112222'] }))).toBe('internal');
    expect(screenCaller(facts({ agentPhones: ['+8613911112222'], allowInternalTestCalls: true }))).toBe('internal-test');
    // A block rule wins over an internal number.
    expect(screenCaller(facts({ agentPhones: ['+8613911112222'], blockRules: [rule('+8613911112222')] }))).toBe('reject');
  });

  it('warns a reported number, and passes everyone else', () => {
    expect(screenCaller(facts({ standingReports: 1 }))).toBe('warn');
    expect(screenCaller(facts({}))).toBe('pass');
  });
});

describe('the gate', () => {
  it('lets a caller through when the facts cannot be read, rather than refusing a customer', async () => {
    const down = () => Promise.reject(new Error('database down'));
    const gate = new ProtectionService({
      store: { unliftedRules: down, listInternal: down, standingReportCounts: down } as never,
      agents: { activePhones: down } as never,
      clock: { now: () => NOW },
      logger: createLogger('error', true),
      allowInternalTestCalls: false,
    });
    expect(await gate.check('+8613911112222', NOW)).toBe('pass');
  });
});
