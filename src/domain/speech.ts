/**
 * How long a prompt takes to say. Twilio's Mandarin voices speak about 4.5 characters a second
 * and English ones about 14; every second a prompt takes is a second of the caller's wait, so
 * the call flow budgets its prompts with this, and the simulator plays them at this pace.
 */
export const HAN_CHARACTERS_PER_SECOND = 4.5;
export const OTHER_CHARACTERS_PER_SECOND = 14;

const HAN = /\p{Script=Han}/u;

export function speechSeconds(text: string): number {
  let han = 0;
  let other = 0;
  for (const ch of text) {
    if (/\s/.test(ch)) continue;
    if (HAN.test(ch)) han++;
    else other++;
  }
  return han / HAN_CHARACTERS_PER_SECOND + other / OTHER_CHARACTERS_PER_SECOND;
}
