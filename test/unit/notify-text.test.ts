import { createHmac } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { dingtalkSign, mentionMobile } from '../../src/notify/channels';
import { maskForGroup, pick, ringCardText } from '../../src/notify/notice-text';
import { backoffMs } from '../../src/notify/notifier';

describe('what a group may read', () => {
  it('masks E.164 numbers, bare mainland mobiles and SIP URIs, and leaves links whole', () => {
    const link = 'https://hotline.example.test/m/calls/abc.13911112222.sig';
    expect(maskForGroup(`客户 +8613911112222 / 13911112222 / sip:13911112222@trunk.cn 请回电：${link}`)).toBe(
      `客户 +86*******2222 / *******2222 / sip:*******2222@trunk.cn 请回电：${link}`,
    );
  });
  it('keeps times, counts and amounts', () => {
    expect(maskForGroup('11月23日 12:00前回电，记罚款100元，3个待回电')).toBe('11月23日 12:00前回电，记罚款100元，3个待回电');
  });
});

describe('the ring card', () => {
  const card = {
    callId: 'c1',
    from: '+8613911112222',
    name: '王先生',
    calls: [
      { at: '2026-11-23T02:00:00Z', outcome: 'answered', type: 'complaint' },
      { at: '2026-11-22T01:30:00Z', outcome: 'missed', type: null },
    ],
    complaint: true,
    callbackDueAt: '2026-11-23T04:00:00Z',
  };
  it('in Mandarin: masked number, name, last calls, what is open, the call page', () => {
    expect(ringCardText(card, 'https://x.test/m/calls/t', 'zh-CN', 'Asia/Shanghai')).toBe(
      ['【来电】+86*******2222（王先生）', '最近来电：11-23 10:00 已接通 投诉；11-22 09:30 未接', '有未结投诉', '有待回电，11-23 12:00前', '通话页面：https://x.test/m/calls/t'].join('\n'),
    );
  });
  it('in English, and a first-time caller', () => {
    const text = ringCardText({ ...card, name: null, calls: [], complaint: false, callbackDueAt: null }, 'L', 'en-US', 'Asia/Shanghai');
    expect(text).toBe('[Incoming call] +86*******2222\nLast calls: none\nCall page: L');
  });
  it("names the caller's open tickets with their due times, in either language", () => {
    const tickets = [
      { kind: 'follow-up', dueAt: '2026-11-23T10:00:00Z' },
      { kind: 'dispatch', dueAt: '2026-11-30T02:00:00Z' },
    ];
    const zh = ringCardText({ ...card, complaint: false, callbackDueAt: null, tickets }, 'L', 'zh-CN', 'Asia/Shanghai').split('\n');
    expect(zh[2]).toBe('未结工单：回复客户 11-23 18:00前；转办 11-30 10:00前');
    const en = ringCardText({ ...card, complaint: false, callbackDueAt: null, tickets }, 'L', 'en-US', 'Asia/Shanghai').split('\n');
    expect(en[2]).toBe('Open tickets: follow-up due 11-23 18:00; dispatch due 11-30 10:00');
    // A card queued before tickets existed carries none: no line.
    expect(ringCardText({ ...card, tickets: [] }, 'L', 'zh-CN', 'Asia/Shanghai')).not.toContain('工单');
  });
});

describe('channel details', () => {
  it("signs DingTalk requests as documented: urlencode(base64(HMAC-SHA256(secret, ts + '\\n' + secret)))", () => {
    const raw = createHmac('sha256', 'SECabc').update('1700000000000\nSECabc').digest('base64');
    expect(dingtalkSign('SECabc', 1700000000000)).toBe(encodeURIComponent(raw));
    expect(decodeURIComponent(dingtalkSign('SECabc', 1700000000000))).toBe(raw);
  });
  it('@-mentions a mainland mobile without +86', () => {
    expect(mentionMobile('+8613800000009')).toEqual(['13800000009']);
    expect(mentionMobile(null)).toEqual([]);
  });
  it('picks Mandarin unless the agent reads English', () => {
    expect(pick({ zh: '中', en: 'en' }, 'zh-CN')).toBe('中');
    expect(pick({ zh: '中', en: 'en' }, 'en-US')).toBe('en');
    expect(pick('same', 'en-US')).toBe('same');
  });
  it('backs off 30 s, doubling, at most 30 minutes', () => {
    expect([1, 2, 3, 4, 10].map(backoffMs)).toEqual([30_000, 60_000, 120_000, 240_000, 1_800_000]);
  });
});

describe('one way out for every message', () => {
  const files = (dir: string): string[] =>
    readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? files(path.join(dir, e.name)) : e.name.endsWith('.ts') ? [path.join(dir, e.name)] : []));
  const sources = [...files('src'), ...files('webhooks')].map((f) => ({ file: f.split(path.sep).join('/'), text: readFileSync(f, 'utf8') }));

  it('only the notifier sends SMS: Twilio’s Messaging API is called in src/sms.ts alone, and only the notifier and the container hold the sender', () => {
    expect(sources.filter((s) => /messages\s*\.\s*create\s*\(/.test(s.text)).map((s) => s.file)).toEqual(['src/sms.ts']);
    expect(sources.filter((s) => /from\s+'\.{1,2}\/(\.\.\/)*sms'/.test(s.text)).map((s) => s.file).sort()).toEqual(['src/container.ts', 'src/notify/notifier.ts']);
    expect(sources.filter((s) => /\.sms\.send\s*\(/.test(s.text)).map((s) => s.file)).toEqual(['src/notify/notifier.ts']);
  });
});
