import { DateTime } from 'luxon';
import { maskPhone, maskPhonesInText } from '../domain/endpoint';
import type { RingCardFacts } from '../postgres/notify-store';

/** A notice in both languages: Mandarin first, English when the agent reads English. */
export interface Bilingual {
  zh: string;
  en: string;
}
export type NoticeText = string | Bilingual;
export type NoticeLanguage = 'zh-CN' | 'en-US';

export const pick = (text: NoticeText, language: NoticeLanguage): string => (typeof text === 'string' ? text : language === 'en-US' ? text.en : text.zh);

const URL_RE = /(https?:\/\/\S+)/;

/**
 * What a group (a robot's chat) may read: every phone number outside a link masked (+86*******5678,
 * a bare mainland mobile too); the signed link carries the detail for the one who opens it.
 */
export function maskForGroup(text: string): string {
  return text
    .split(URL_RE)
    .map((part) => (URL_RE.test(part) ? part : maskPhonesInText(part).replace(/(?<![\d*+])\d{7,15}(?!\d)/g, (m) => maskPhone(m))))
    .join('');
}

const OUTCOME: Record<NoticeLanguage, Record<string, string>> = {
  'zh-CN': { answered: '已接通', missed: '未接', abandoned: '来电挂断', ongoing: '进行中' },
  'en-US': { answered: 'answered', missed: 'missed', abandoned: 'hung up', ongoing: 'ongoing' },
};
const TYPE: Record<NoticeLanguage, Record<string, string>> = {
  'zh-CN': { consultation: '咨询', complaint: '投诉', repair: '报修', suggestion: '建议', other: '其他' },
  'en-US': { consultation: 'enquiry', complaint: 'complaint', repair: 'repair', suggestion: 'suggestion', other: 'other' },
};

const TICKET_KIND: Record<NoticeLanguage, Record<string, string>> = {
  'zh-CN': { 'follow-up': '回复客户', dispatch: '转办', 'return-visit': '回访' },
  'en-US': { 'follow-up': 'follow-up', dispatch: 'dispatch', 'return-visit': 'return visit' },
};

/** The card an agent gets as their phone rings: who is calling (masked), their last calls, what is open, the call page. */
export function ringCardText(card: RingCardFacts, link: string, language: NoticeLanguage, timeZone: string): string {
  const time = (iso: string) => DateTime.fromISO(new Date(iso).toISOString(), { zone: timeZone }).toFormat('MM-dd HH:mm');
  const masked = maskPhone(card.from);
  const calls = card.calls.map((c) => {
    const outcome = OUTCOME[language][c.outcome ?? 'ongoing'] ?? c.outcome;
    const type = c.type ? ` ${TYPE[language][c.type] ?? c.type}` : '';
    return `${time(c.at)} ${outcome}${type}`;
  });
  const tickets = (card.tickets ?? []).map((x) => (language === 'en-US' ? `${TICKET_KIND[language][x.kind] ?? x.kind} due ${time(x.dueAt)}` : `${TICKET_KIND[language][x.kind] ?? x.kind} ${time(x.dueAt)}前`));
  if (language === 'en-US') {
    return [
      `[Incoming call] ${masked}${card.name ? ` (${card.name})` : ''}`,
      `Last calls: ${calls.length ? calls.join('; ') : 'none'}`,
      ...(card.complaint ? ['Open complaint case'] : []),
      ...(card.callbackDueAt ? [`Callback owed, due ${time(card.callbackDueAt)}`] : []),
      ...(tickets.length ? [`Open tickets: ${tickets.join('; ')}`] : []),
      `Call page: ${link}`,
    ].join('\n');
  }
  return [
    `【来电】${masked}${card.name ? `（${card.name}）` : ''}`,
    `最近来电：${calls.length ? calls.join('；') : '无'}`,
    ...(card.complaint ? ['有未结投诉'] : []),
    ...(card.callbackDueAt ? [`有待回电，${time(card.callbackDueAt)}前`] : []),
    ...(tickets.length ? [`未结工单：${tickets.join('；')}`] : []),
    `通话页面：${link}`,
  ].join('\n');
}
