/**
 * Callers who hide their number. Twilio never sends an empty From: a withheld caller ID arrives
 * as a word ("anonymous", "restricted"...) or as that word spelt on a phone keypad
 * (+266696687 = ANONYMOUS, +7378742833 = RESTRICTED, +86282452253 = UNAVAILABLE, which looks
 * like a Chinese number). Such a "number" reaches nobody and is shared by every hidden caller,
 * so it must never become a callback, a customer file or a repeat caller. The call itself is
 * still recorded.
 */
const WITHHELD_WORDS = ['anonymous', 'restricted', 'unavailable', 'unknown', 'private', 'blocked', 'withheld'] as const;

const KEYPAD = ['', '', 'abc', 'def', 'ghi', 'jkl', 'mno', 'pqrs', 'tuv', 'wxyz'];

/** The digits that spell a word on a phone keypad: "anonymous" -> "266696687". */
function keypadDigits(word: string): string {
  return [...word].map((ch) => KEYPAD.findIndex((letters) => letters.includes(ch))).join('');
}

const PLACEHOLDER_DIGITS = new Set(WITHHELD_WORDS.map(keypadDigits));

export function isWithheldNumber(from: string | null | undefined): boolean {
  const raw = (from ?? '').trim().toLowerCase();
  if (raw === '') return true;
  if (WITHHELD_WORDS.some((word) => raw.includes(word))) return true;
  return /^\+?[\d\s().-]+$/.test(raw) && PLACEHOLDER_DIGITS.has(raw.replace(/\D/g, ''));
}
