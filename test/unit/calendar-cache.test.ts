import { describe, expect, it } from 'vitest';
import type { CalendarDay } from '../../src/domain/work-calendar';
import { CalendarCache } from '../../src/holidays/calendar-cache';
import { HotlineVoices, type HotlineVoiceRecord } from '../../src/routing/hotline-voices';
import { speaker } from '../../src/twiml/hotline-twiml';

describe('the calendar held in memory', () => {
  it('holds the HOLIDAYS setting before the first load, then the stored days; it tells of a change only when something changed', async () => {
    let stored: CalendarDay[] = [{ date: '2026-10-10', kind: 'workday', name: '国庆节调休上班' }];
    let changes = 0;
    const cache = new CalendarCache({ all: async () => stored }, ['2026-10-01'], () => changes++);
    expect(cache.dayOf('2026-10-01')?.kind).toBe('holiday');
    expect(cache.dayOf('2026-10-10')).toBeUndefined();
    await cache.reload();
    expect(cache.dayOf('2026-10-10')?.kind).toBe('workday');
    expect(changes).toBe(1);
    await cache.reload();
    expect(changes).toBe(1);
    // Another instance replaced the year: the next reload (the minute loop) sees it.
    stored = [{ date: '2026-10-01', kind: 'workday', name: 'overridden' }];
    await cache.reload();
    expect(changes).toBe(2);
    expect(cache.dayOf('2026-10-01')?.kind).toBe('workday');
    expect(cache.dayOf('2026-10-10')).toBeUndefined();
  });
});

describe("each number's voice", () => {
  it('speaks its own language and greeting; a number without a record, or with neither, speaks the server language', async () => {
    const records: HotlineVoiceRecord[] = [
      { number: '+864008001234', language: 'en-US', greeting: 'Welcome.' },
      { number: '+864008005678', language: null, greeting: null },
      { number: '+864008009999', language: null, greeting: '欢迎致电。' },
    ];
    const base = speaker('zh-CN');
    const voices = new HotlineVoices(base, async () => records);
    expect(voices.forNumber('+864008001234')).toBe(base);
    await voices.reload();
    expect(voices.forNumber('+864008001234').language).toBe('en-US');
    expect(voices.forNumber('+864008001234').text.greeting).toBe('Welcome.');
    expect(voices.forNumber('+864008001234').text.holdOn).toBe('Please hold. ');
    expect(voices.forNumber('+864008005678')).toBe(base);
    expect(voices.forNumber('+864008009999').text).toMatchObject({ greeting: '欢迎致电。', holdOn: '请稍候，' });
    expect(voices.forNumber('+861234')).toBe(base);
  });
});
