import { describe, expect, it } from 'vitest';
import { isWithheldNumber } from '../../src/domain/withheld-number';

describe('a withheld caller number', () => {
  it("is one of Twilio's keypad placeholders for a hidden caller ID", () => {
    expect(isWithheldNumber('+266696687')).toBe(true); // ANONYMOUS
    expect(isWithheldNumber('+7378742833')).toBe(true); // RESTRICTED
    expect(isWithheldNumber('+86282452253')).toBe(true); // UNAVAILABLE, looks like a Chinese number
    expect(isWithheldNumber('+8656696')).toBe(true); // UNKNOWN
    expect(isWithheldNumber('+7748283')).toBe(true); // PRIVATE
    expect(isWithheldNumber('+2562533')).toBe(true); // BLOCKED
    expect(isWithheldNumber('266696687')).toBe(true);
  });

  it('is a word instead of a number, whatever its case or wrapping', () => {
    for (const from of ['anonymous', 'Anonymous', 'RESTRICTED', 'unavailable', 'Unknown', 'private', 'Blocked', 'withheld', 'sip:anonymous@anonymous.invalid', ' '])
      expect(isWithheldNumber(from), from).toBe(true);
  });

  it('is not a real number, however close to a placeholder', () => {
    for (const from of ['+8613911112222', '+864008001234', '+862824522530', '+26669668', '+14155550100', 'sip:13812345678@trunk.example.cn'])
      expect(isWithheldNumber(from), from).toBe(false);
  });
});
