import { DateTime } from 'luxon';
import type { PromptLanguage } from '../twiml/prompts';

/**
 * What the callback feature says and texts, per language (PROMPT_LANGUAGE). SMS go to agents and
 * admins, who may see the caller's number; logs never carry these texts.
 */
export interface CallbackTexts {
  offer: string;
  missedWithMessage: string;
  requestedWithMessage: string;
  messageThanks: string;
  ownerWhisper(o: { phone: string; calledAt: string }): string;
  ownerDeclined: string;
  connectingCustomer: string;
  customerUnreachable: string;
  ownerSms(o: { phone: string; calledAt: string; waited: string; dueAt: string; link: string; requested: boolean }): string;
  reminderSms(o: { phone: string; dueAt: string; link: string }): string;
  lapseAlertSms(o: { phone: string; dueAt: string; owner: string; fine: number | null }): string;
  r4AlertSms(o: { phone: string; calledAt: string; owner: string }): string;
  dialPage: { title: string; intro(o: { phone: string; dueAt: string }): string; button: string; placed: string };
}

/** Digits read one by one, so a text-to-speech voice does not read a number as an amount. */
export const spokenDigits = (phone: string) => phone.replace(/\D/g, '').split('').join(' ');

export const callbackTexts: Record<PromptLanguage, CallbackTexts> = {
  'zh-CN': {
    offer: '如需回电请按1。',
    missedWithMessage: '非常抱歉，客服人员暂时无法接听。我们已记录您的来电，会尽快给您回电。如需留言，请在提示音后说话，按井号键结束。',
    requestedWithMessage: '好的，我们会尽快给您回电。如需留言，请在提示音后说话，按井号键结束。',
    messageThanks: '您的留言已收到，我们会尽快给您回电。再见。',
    ownerWhisper: ({ phone, calledAt }) => `这是热线回电任务。客户号码 ${spokenDigits(phone)}，于${calledAt}来电未接通。立即回拨客户请按1。`,
    ownerDeclined: '已取消本次回电。',
    connectingCustomer: '正在为您接通客户，请稍候。',
    customerUnreachable: '客户未接听，本次回电已记录。再见。',
    ownerSms: ({ phone, calledAt, waited, dueAt, link, requested }) =>
      `【热线回电】客户 ${phone} 于${calledAt}来电${requested ? '（客户按1要求回电）' : '未接通'}，等待${waited}。请于${dueAt}前回电。点击回拨：${link}`,
    reminderSms: ({ phone, dueAt, link }) => `【回电提醒】客户 ${phone} 的回电将于${dueAt}到期，尚未回拨。点击回拨：${link}`,
    lapseAlertSms: ({ phone, dueAt, owner, fine }) =>
      `【回电超时】客户 ${phone} 的回电已于${dueAt}到期仍未回拨，负责人：${owner}。` + (fine === null ? '' : `记罚款${fine}元。`),
    r4AlertSms: ({ phone, calledAt, owner }) => `【24小时未回电】客户 ${phone}（${calledAt}来电）超过24小时仍未回电，负责人：${owner}。`,
    dialPage: {
      title: '热线回电',
      intro: ({ phone, dueAt }) => `回拨客户 ${phone}（请于${dueAt}前）。确认后系统先呼叫您的手机，按1后接通客户，客户看到的是热线号码。`,
      button: '确认回拨',
      placed: '正在呼叫您的手机，请接听后按1接通客户。',
    },
  },
  'en-US': {
    offer: 'To be called back instead, press 1.',
    missedWithMessage: 'We are sorry, no agent can take your call right now. We have noted your call and will call you back soon. To leave a message, speak after the tone and press the hash key when done.',
    requestedWithMessage: 'We will call you back soon. To leave a message, speak after the tone and press the hash key when done.',
    messageThanks: 'Thank you, we have your message and will call you back soon. Goodbye.',
    ownerWhisper: ({ phone, calledAt }) => `Hotline callback. Customer ${spokenDigits(phone)} called at ${calledAt} and was not answered. Press 1 to call them now.`,
    ownerDeclined: 'Callback cancelled.',
    connectingCustomer: 'Connecting you to the customer.',
    customerUnreachable: 'The customer did not answer; this attempt has been recorded. Goodbye.',
    ownerSms: ({ phone, calledAt, waited, dueAt, link, requested }) =>
      `[Hotline callback] ${phone} called at ${calledAt}${requested ? ' and asked to be called back' : ' and was not answered'} (waited ${waited}). Call back by ${dueAt}: ${link}`,
    reminderSms: ({ phone, dueAt, link }) => `[Callback reminder] The callback to ${phone} is due at ${dueAt} and has not been made: ${link}`,
    lapseAlertSms: ({ phone, dueAt, owner, fine }) =>
      `[Callback late] The callback to ${phone} was due at ${dueAt} and has not been made. Owner: ${owner}.` + (fine === null ? '' : ` Fine: ${fine}.`),
    r4AlertSms: ({ phone, calledAt, owner }) => `[No callback in 24 h] ${phone} (called ${calledAt}) has not been called back within 24 hours. Owner: ${owner}.`,
    dialPage: {
      title: 'Hotline callback',
      intro: ({ phone, dueAt }) => `Call back ${phone} (due ${dueAt}). Your phone rings first; press 1 and the customer is dialled, seeing the hotline number.`,
      button: 'Call back now',
      placed: 'Calling your phone now: answer and press 1 to reach the customer.',
    },
  },
};

/** A wall-clock time in the hotline's zone, as agents read it. */
export function localTime(at: Date, timeZone: string, language: PromptLanguage): string {
  const t = DateTime.fromJSDate(at, { zone: timeZone });
  return language === 'zh-CN' ? t.toFormat('M月d日 HH:mm') : t.toFormat('yyyy-MM-dd HH:mm');
}

export function waitedText(seconds: number | null, language: PromptLanguage): string {
  const s = Math.round(seconds ?? 0);
  return language === 'zh-CN' ? `${s}秒` : `${s} s`;
}
