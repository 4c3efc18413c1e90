import { describe, expect, it, vi } from 'vitest';
import type { Call } from '../../src/domain/ports';
import { speechSeconds } from '../../src/domain/speech';
import { localDayStart, NO_WHISPER_FLAGS, whisperFlagText } from '../../src/domain/whisper-flags';
import type { Logger } from '../../src/logger';
import { WhisperFlagLookup } from '../../src/routing/whisper-flag-lookup';
import { prompts } from '../../src/twiml/prompts';

describe('the whisper flags', () => {
  it('says nothing for an ordinary caller', () => {
    expect(whisperFlagText({ openComplaint: false, missedToday: false }, 'zh-CN')).toBe('');
    expect(whisperFlagText({ openComplaint: false, missedToday: false }, 'en-US')).toBe('');
  });

  it('names an open complaint, a call missed today, or both, in the number\'s language', () => {
    expect(whisperFlagText({ openComplaint: true, missedToday: false }, 'zh-CN')).toBe('有未结投诉。');
    expect(whisperFlagText({ openComplaint: false, missedToday: true }, 'zh-CN')).toBe('今日未接通。');
    expect(whisperFlagText({ openComplaint: true, missedToday: true }, 'zh-CN')).toBe('有未结投诉。今日未接通。');
    expect(whisperFlagText({ openComplaint: true, missedToday: false }, 'en-US')).toBe('Open complaint. ');
    expect(whisperFlagText({ openComplaint: true, missedToday: true }, 'en-US')).toBe('Open complaint. Missed earlier today. ');
  });

  it('goes before the "press 1", after the apology, and the ordinary whisper is unchanged', () => {
    const zh = prompts['zh-CN'];
    expect(zh.whisper({ apologise: false })).toBe('热线来电，按1接听。');
    expect(zh.whisper({ apologise: false, flags: '' })).toBe('热线来电，按1接听。');
    expect(zh.whisper({ apologise: true, flags: '有未结投诉。' })).toBe('客户久等，请先致歉。有未结投诉。热线来电，按1接听。');
    expect(prompts['en-US'].whisper({ apologise: false, flags: 'Open complaint. ' })).toBe('Open complaint. Hotline call, press 1.');
  });

  it('costs the caller a second and a bit per flag in Mandarin (README "Where the caller\'s seconds go")', () => {
    // 5 Han characters and a full stop: 5 / 4.5 + 1 / 14.
    expect(speechSeconds('有未结投诉。')).toBeCloseTo(1.18, 2);
    expect(speechSeconds('今日未接通。')).toBeCloseTo(1.18, 2);
    expect(speechSeconds('有未结投诉。今日未接通。')).toBeCloseTo(2.37, 2);
  });

  it('counts the day from midnight in the hotline\'s time zone', () => {
    // 2026-03-02 01:30 in Shanghai is 2026-03-01 17:30 UTC; its day began at 2026-03-01 16:00 UTC.
    expect(localDayStart(new Date('2026-03-01T17:30:00Z'), 'Asia/Shanghai').toISOString()).toBe('2026-03-01T16:00:00.000Z');
    expect(localDayStart(new Date('2026-03-01T15:59:59Z'), 'Asia/Shanghai').toISOString()).toBe('2026-02-28T16:00:00.000Z');
  });
});

describe('the whisper\'s read of the caller\'s record', () => {
  const logger = { warn: vi.fn() } as unknown as Logger;
  const call = (from: string) => ({ id: 'c1', from, startedAt: new Date('2026-03-01T17:30:00Z') }) as Call;

  it('asks for the caller\'s number, this call, and the local day', async () => {
    const flagsOf = vi.fn(async () => ({ openComplaint: true, missedToday: false }));
    expect(await new WhisperFlagLookup({ flagsOf }, 'Asia/Shanghai', logger).of(call('+8613911112222'))).toEqual({ openComplaint: true, missedToday: false });
    expect(flagsOf).toHaveBeenCalledWith('+8613911112222', 'c1', new Date('2026-03-01T17:30:00Z'), new Date('2026-03-01T16:00:00Z'));
  });

  it('goes on without flags when the read fails or is slower than the budget', async () => {
    const failing = new WhisperFlagLookup({ flagsOf: async () => Promise.reject(new Error('connection terminated')) }, 'Asia/Shanghai', logger);
    expect(await failing.of(call('+8613911112222'))).toEqual(NO_WHISPER_FLAGS);
    const never = new WhisperFlagLookup({ flagsOf: () => new Promise(() => undefined) }, 'Asia/Shanghai', logger, 150);
    const started = Date.now();
    expect(await never.of(call('+8613911112222'))).toEqual(NO_WHISPER_FLAGS);
    expect(Date.now() - started).toBeLessThan(1000);
    expect(Date.now() - started).toBeGreaterThanOrEqual(140);
  });

  it('never reads for a withheld number, which every hidden caller shares', async () => {
    const flagsOf = vi.fn(async () => ({ openComplaint: true, missedToday: true }));
    expect(await new WhisperFlagLookup({ flagsOf }, 'Asia/Shanghai', logger).of(call('anonymous'))).toEqual(NO_WHISPER_FLAGS);
    expect(flagsOf).not.toHaveBeenCalled();
  });
});
