import { DateTime } from 'luxon';

/** The prompts' languages (src/twiml/prompts.ts WhisperLanguage). */
export type WhisperLanguage = 'zh-CN' | 'en-US';

/** What the record says about a caller as their call is offered: said to the agent in the whisper. */
export interface WhisperFlags {
  /** The caller's number has a complaint case not yet closed. */
  openComplaint: boolean;
  /** The caller's number had a missed call earlier today (the hotline's local day). */
  missedToday: boolean;
}

export const NO_WHISPER_FLAGS: WhisperFlags = { openComplaint: false, missedToday: false };

const WORDS: Record<WhisperLanguage, { openComplaint: string; missedToday: string }> = {
  'zh-CN': { openComplaint: '有未结投诉。', missedToday: '今日未接通。' },
  'en-US': { openComplaint: 'Open complaint. ', missedToday: 'Missed earlier today. ' },
};

/**
 * The few words the whisper adds before its "press 1" when they matter: an open complaint, a
 * caller missed today, both, or nothing. Every character is a moment of the caller's wait
 * (domain/speech.ts), so they stay this short.
 */
export function whisperFlagText(flags: WhisperFlags, language: WhisperLanguage): string {
  const w = WORDS[language];
  return (flags.openComplaint ? w.openComplaint : '') + (flags.missedToday ? w.missedToday : '');
}

/** The start of `at`'s day in the hotline's time zone (TIME_ZONE): "missed today" counts from it. */
export function localDayStart(at: Date, timeZone: string): Date {
  return DateTime.fromJSDate(at, { zone: timeZone }).startOf('day').toJSDate();
}
