/**
 * An agent's endpoint: an E.164 number (rung with <Number>) or a SIP URI (rung with <Sip>),
 * since mainland-China mobiles are reached through a domestic carrier's SIP trunk.
 */
export type Endpoint = { kind: 'number'; value: string } | { kind: 'sip'; value: string };

const E164 = /^\+[1-9]\d{6,14}$/;
const SIP_URI = /^sips?:[^@\s;]+@[A-Za-z0-9.-]+(:\d{1,5})?(;[^\s]*)?$/;

export function parseEndpoint(raw: string): Endpoint | null {
  const value = raw.trim();
  if (E164.test(value)) return { kind: 'number', value };
  if (SIP_URI.test(value)) return { kind: 'sip', value };
  return null;
}

export function isE164(value: string): boolean {
  return E164.test(value);
}

/**
 * Callers' numbers are personal data: logs keep the country prefix and the last four digits.
 * +8613812345678 -> +86*******5678 ; sip:13812345678@trunk.example -> sip:****5678@trunk.example
 */
export function maskPhone(raw: string | undefined | null): string {
  if (!raw) return '';
  const sip = /^(sips?:)([^@]*)(@.*)?$/.exec(raw);
  if (sip) {
    const user = sip[2] ?? '';
    return `${sip[1]}${'*'.repeat(Math.max(0, user.length - 4))}${user.slice(-4)}${sip[3] ?? ''}`;
  }
  const digits = raw.replace(/[^\d+]/g, '');
  if (digits.length <= 4) return '*'.repeat(digits.length);
  const head = digits.startsWith('+') ? digits.slice(0, 3) : '';
  const tail = digits.slice(-4);
  return head + '*'.repeat(Math.max(0, digits.length - head.length - 4)) + tail;
}

/** Masks every E.164 number and SIP URI inside free text (used by the log formatter). */
export function maskPhonesInText(text: string): string {
  return text.replace(/sips?:[^@\s"']+@[^\s"',}]+/g, (m) => maskPhone(m)).replace(/\+\d{7,15}/g, (m) => maskPhone(m));
}
