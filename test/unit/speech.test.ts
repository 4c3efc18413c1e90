import { describe, expect, it } from 'vitest';
import { owesApology } from '../../src/domain/answer-time';
import { speechSeconds } from '../../src/domain/speech';

describe('how long a prompt takes to say', () => {
  it('reads Mandarin at 4.5 characters a second and other text at 14, ignoring spaces', () => {
    expect(speechSeconds('热线来电按1接听')).toBeCloseTo(7 / 4.5 + 1 / 14, 5);
    expect(speechSeconds('Hotline call, press 1.')).toBeCloseTo(19 / 14, 5);
    expect(speechSeconds('')).toBe(0);
  });

  it('puts the greeting before the first ring at about half of the 10 seconds', () => {
    expect(speechSeconds('您好，正在为您接通客服，请稍候。如需回电请按1。')).toBeGreaterThan(4);
  });
});

describe('when the agent is asked to apologise', () => {
  const t = (s: number) => new Date(Date.UTC(2026, 10, 23, 2, 0, s));
  it('counts the time still ahead before the caller is put through', () => {
    expect(owesApology(t(0), t(8), 10, 1.8)).toBe(false);
    expect(owesApology(t(0), t(9), 10, 1.8)).toBe(true);
    expect(owesApology(t(0), t(11), 10)).toBe(true);
  });
});
