import { describe, expect, it } from 'vitest';
import { speechSeconds } from '../../src/domain/speech';
import { localDayStart, whisperFlagText } from '../../src/domain/whisper-flags';
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
