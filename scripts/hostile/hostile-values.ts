import fc from 'fast-check';

/**
 * The values a hostile request is built from: plausible ones (ids and numbers the hotline knows,
 * Twilio's enums) so requests reach deep into the handlers, and odd ones so they break things.
 */
export interface KnownRecords {
  hotline: string;
  agentIds: string[];
  callIds: string[];
  callSids: string[];
  attemptIds: string[];
  callbackIds: string[];
  otherIds: string[];
  /** Every seeded phone number: agents and callers. */
  phones: string[];
}

/** Field names the app reads anywhere: Twilio's parameters, the API's and the console's fields, query names. */
export const FIELD_NAMES = [
  'CallSid', 'From', 'To', 'CallerName', 'Digits', 'DialCallStatus', 'DialBridged', 'CallStatus', 'SequenceNumber', 'Timestamp',
  'CallDuration', 'RecordingUrl', 'RecordingSid', 'RecordingDuration', 'RecordingStatus', 'AnsweredBy', 'Body', 'MessageSid', 'AccountSid',
  'ParentCallSid', 'name', 'phone', 'position', 'paused', 'active', 'type', 'summary', 'callerName', 'reason', 'pattern', 'expiresAt',
  'note', 'agentId', 'start', 'end', 'kind', 'substituteAgentId', 'number', 'agentIds', 'language', 'greeting', 'weekly', 'ownerAgentId',
  'resolution', 'channel', 'notes', 'username', 'password', 'role', '_csrf', 'next', 'action', 'label', 'token', 'from', 'to', 'limit',
  'cursor', 'outcome', 'agent', 'rating', 'caller', 'hotline', 'status', 'late', 'month', 'week', 'all', 'includeInactive', 'call',
  'attempt', 'try', 'lang', 'out', 'id', '__proto__', 'constructor', 'prototype',
];

export const QUERY_NAMES = ['attempt', 'call', 'try', 'token', 'from', 'to', 'limit', 'cursor', 'outcome', 'agent', 'type', 'rating', 'caller', 'hotline', 'status', 'late', 'month', 'week', 'all', 'includeInactive', 'lang', 'next', 'out'];

const ODD_TEXT = [
  '', ' ', '0', '-1', '-0', '1.5', '1e309', '-1e309', '99999999999999999999999999999', '9007199254740993', 'NaN', 'Infinity', 'null', 'undefined',
  'true', 'false', '[]', '{}', '[object Object]', '<Response><Dial>x</Dial></Response>', '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><x>&e;</x>',
  "' OR 1=1 --", '"; DROP TABLE calls; --', '../../etc/passwd', '%', '%zz', '%E0%A4%A', '\u0000', 'a\u0000b', '\uD800', '\uDFFF\uD800', '😀📞',
  '\u202Eexe.txt', 'ＣＡ１２３', '客服热线', '\r\nX-Injected: 1', '${jndi:ldap://x}', '{{7*7}}', '\\', '/', '//evil.example', 'javascript:alert(1)',
  '2026-13-45T25:61:00Z', '2026-W99', '0000-00', '+', '+86', '+86abc', 'sip:', 'sip:@', 'anonymous', '*', '**', 'CA', 'CA' + 'g'.repeat(32),
];

/** Any text, leaning on the odd. */
export const oddText: fc.Arbitrary<string> = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...ODD_TEXT) },
  { weight: 2, arbitrary: fc.string({ maxLength: 30 }) },
  { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 30 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'grapheme', maxLength: 20 }) },
  { weight: 1, arbitrary: fc.bigInt({ min: -(10n ** 40n), max: 10n ** 40n }).map(String) },
  { weight: 1, arbitrary: fc.double().map(String) },
  { weight: 1, arbitrary: fc.tuple(fc.constantFrom('9', 'a', '客', '%', '\u0000', '+86'), fc.integer({ min: 300, max: 20_000 })).map(([s, n]) => s.repeat(n)) },
);

const hex = (n: number) => fc.string({ unit: fc.constantFrom(...'0123456789abcdef'), minLength: n, maxLength: n });
export const randomSid = (prefix: string) => hex(32).map((h) => prefix + h);
const mobile = fc.integer({ min: 0, max: 99_999_999 }).map((n) => `+86138${String(n).padStart(8, '0')}`);

/** Values that look right: the hotline's own ids, numbers and Twilio's words. */
export function plausibleText(k: KnownRecords): fc.Arbitrary<string> {
  const pools: fc.Arbitrary<string>[] = [
    randomSid('CA'),
    fc.uuid(),
    mobile,
    fc.constantFrom('completed', 'answered', 'busy', 'no-answer', 'failed', 'canceled', 'in-progress', 'ringing', 'queued', 'initiated', 'human', 'machine_start', 'fax', 'unknown'),
    fc.constantFrom('1', '2', '3', '5', '9', '0', '*', '#', '11', 'ON', 'OFF', 'STATUS', '上班', '下班', '状态'),
    fc.constantFrom('admin', 'supervisor', 'viewer', 'annual', 'sick', 'on', 'off', 'call', 'sms', 'harassment', 'spam', 'other', 'open', 'closed', 'pause', 'resume', 'deactivate', 'activate', 'zh-CN', 'en-US', 'en', 'zh'),
    fc.date({ min: new Date('2020-01-01'), max: new Date('2030-01-01'), noInvalidDate: true }).map((d) => d.toISOString()),
    fc.constantFrom('2026-12', '2026-W48', '2026-11-30', '08:00', '20:00', 'true', 'false', '50', '200', '201'),
    fc.constant(k.hotline),
  ];
  for (const pool of [k.agentIds, k.callIds, k.callSids, k.attemptIds, k.callbackIds, k.otherIds, k.phones]) {
    if (pool.length) pools.push(fc.constantFrom(...pool));
  }
  return fc.oneof(...pools);
}

export function anyText(k: KnownRecords): fc.Arbitrary<string> {
  return fc.oneof({ weight: 3, arbitrary: plausibleText(k) }, { weight: 2, arbitrary: oddText });
}

/** A JSON value of any type where the API expects one: arrays for scalars, objects, huge numbers, nulls. */
export function anyJson(k: KnownRecords): fc.Arbitrary<unknown> {
  return fc.oneof(
    { weight: 4, arbitrary: anyText(k) },
    { weight: 1, arbitrary: fc.constantFrom(null, true, false, 0, -1, 1e308, -1e308, Number.MAX_SAFE_INTEGER + 2, 0.1, 5, 201) },
    { weight: 1, arbitrary: fc.array(anyText(k), { maxLength: 4 }) },
    { weight: 1, arbitrary: fc.dictionary(fc.constantFrom(...FIELD_NAMES), anyText(k), { maxKeys: 3 }) },
    { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 3 }) },
  );
}
