import { isWithheldNumber } from '../domain/withheld-number';
import { DateTime } from 'luxon';
import { CALL_TYPES, type CallType } from '../domain/call-notes';
import type { Call } from '../domain/ports';
import type { PromptLanguage } from '../twiml/prompts';
import { escapeHtml } from '../html';

/**
 * The agent's call page, rendered on the server: no framework, no script, every value escaped.
 * It is small enough to open on a mobile on a poor connection.
 */

interface Labels {
  title: string;
  refused: string;
  refusedHelp: string;
  caller: string;
  suggestion: string;
  started: string;
  talk: string;
  live: string;
  ended: string;
  repeat: string;
  rating: string;
  handover: string;
  handoverHelp: string;
  handedOver: string;
  recording: string;
  notLive: string;
  type: string;
  summary: string;
  callerName: string;
  save: string;
  saved: string;
  types: Record<CallType, string>;
  endedBy: Record<string, string>;
  reportCaller: string;
  reportHelp: string;
  reported: string;
  followUp: string;
  followUpHelp: string;
  followUpSummary: string;
  followUpDue: string;
  followUpOpened: string;
}

const labels: Record<PromptLanguage, Labels> = {
  'zh-CN': {
    title: '来电记录',
    refused: '链接无效或已过期',
    refusedHelp: '请使用短信中的最新链接，或联系管理员。',
    caller: '来电号码',
    suggestion: '来电显示名称',
    started: '来电时间',
    talk: '通话时长（秒）',
    live: '通话中',
    ended: '已结束',
    repeat: '近期再次来电',
    rating: '客户评分',
    reportCaller: '骚扰来电',
    reportHelp: '来电方骚扰或辱骂时点此举报：首次举报后其下次来电会先听到警告，再次举报即屏蔽该号码。',
    reported: '已举报该号码。',
    followUp: '答应回复客户',
    followUpHelp: '客户的问题不能当场答复时，在此登记“我会在……前回复您”：生成一张由您负责的回复工单，到期前提醒您。',
    followUpSummary: '待答复的问题',
    followUpDue: '答应回复的时间（不填按默认时限）',
    followUpOpened: '已登记回复工单，到期前会提醒您。',
    handover: '转客户评价',
    handoverHelp: '通话结束前，请先询问客户是否还有其他问题并致谢，然后点此把客户转到满意度评价。',
    handedOver: '已将客户转到满意度评价。',
    recording: '通话录音',
    notLive: '通话已结束，无法转接。',
    type: '来电类型',
    summary: '来电摘要',
    callerName: '客户姓名',
    save: '保存',
    saved: '已保存。',
    types: { consultation: '咨询', complaint: '投诉', repair: '报修', suggestion: '建议', other: '其他' },
    endedBy: { agent: '客服挂断', caller: '客户挂断', 'agent-handover': '客服转评价', system: '系统' },
  },
  'en-US': {
    title: 'Call notes',
    refused: 'This link is not valid or has expired',
    refusedHelp: 'Use the latest link you were texted, or ask an admin.',
    caller: 'Caller',
    suggestion: 'Caller ID name',
    started: 'Started',
    talk: 'Talk time (s)',
    live: 'Live',
    ended: 'Ended',
    repeat: 'Called recently before',
    rating: 'Rating',
    reportCaller: 'Harassing caller',
    reportHelp: 'Report an abusive or harassing caller: their next call hears a warning, and a second report blocks the number.',
    reported: 'The number has been reported.',
    followUp: 'Promise a call back',
    followUpHelp: "When the answer is not at hand, note \"I'll call you back by …\" here: a follow-up ticket you own, with a reminder before it is due.",
    followUpSummary: 'What the customer is waiting for',
    followUpDue: 'Call back by (blank: the usual time)',
    followUpOpened: 'Follow-up noted; you will be reminded before it is due.',
    handover: 'Hand over to the rating',
    handoverHelp: 'Before ending, ask if there is anything else and thank the caller, then hand them to the rating here.',
    handedOver: 'The caller was handed to the rating.',
    recording: 'Recording',
    notLive: 'The call is over; there is nobody to hand over.',
    type: 'Type',
    summary: 'Summary',
    callerName: 'Caller name',
    save: 'Save',
    saved: 'Saved.',
    types: { consultation: 'Consultation', complaint: 'Complaint', repair: 'Repair', suggestion: 'Suggestion', other: 'Other' },
    endedBy: { agent: 'agent hung up', caller: 'caller hung up', 'agent-handover': 'handed to rating', system: 'system' },
  },
};

const STYLE =
  'body{font-family:system-ui,sans-serif;margin:0;padding:1rem;max-width:36rem;line-height:1.4}' +
  'dl{display:grid;grid-template-columns:auto 1fr;gap:.25rem .75rem}dt{color:#555}dd{margin:0}' +
  'label{display:block;margin-top:.75rem;font-weight:600}select,input,textarea,button{font-size:1rem;width:100%;box-sizing:border-box;padding:.5rem}' +
  'textarea{min-height:7rem}button{margin-top:1rem}.note{padding:.5rem;background:#eef6ee}.error{padding:.5rem;background:#fbeaea}' +
  '.handover{margin:1rem 0;padding:.75rem;border:2px solid #c60}';

function layout(lang: PromptLanguage, title: string, body: string): string {
  return (
    `<!doctype html><html lang="${lang}"><head><meta charset="utf-8">` +
    '<meta name="viewport" content="width=device-width, initial-scale=1">' +
    `<meta name="robots" content="noindex"><title>${escapeHtml(title)}</title><style>${STYLE}</style></head>` +
    `<body>${body}</body></html>`
  );
}

export function refusedPage(lang: PromptLanguage): string {
  const l = labels[lang];
  return layout(lang, l.refused, `<h1>${escapeHtml(l.refused)}</h1><p>${escapeHtml(l.refusedHelp)}</p>`);
}

export interface CallPageView {
  call: Call;
  rating: number | null;
  /** The page's own address (with the token); forms post back to it. */
  path: string;
  timeZone: string;
  notice?: 'saved' | 'handed-over' | 'not-live' | 'reported' | 'follow-up';
  error?: string;
  /** The agent's own recording of this call, through the product (a signed link; README "Recordings"). */
  recordingSrc?: string | null;
  /** The follow-up form (tickets, issue 26), shown when the tickets feature runs. */
  followUp?: boolean;
}

/** The call as its answering agent sees it: the caller's full number, the notes form, and the hand-over while live. */
export function callPage(lang: PromptLanguage, v: CallPageView): string {
  const l = labels[lang];
  const c = v.call;
  const started = DateTime.fromJSDate(c.startedAt, { zone: v.timeZone }).toFormat('yyyy-LL-dd HH:mm:ss');
  const live = c.state === 'connected';
  const rows: [string, string][] = [
    [l.caller, c.from],
    ...(c.callerName ? ([[l.suggestion, c.callerName]] as [string, string][]) : []),
    [l.started, started],
    [l.ended, live ? l.live : c.endedBy ? (l.endedBy[c.endedBy] ?? c.endedBy) : '-'],
    ...(c.talkSeconds !== null ? ([[l.talk, String(Math.round(c.talkSeconds))]] as [string, string][]) : []),
    ...(c.repeatCaller ? ([[l.repeat, '✓']] as [string, string][]) : []),
    ...(v.rating !== null ? ([[l.rating, `${v.rating} / 5`]] as [string, string][]) : []),
  ];
  const notice = v.notice ? { saved: l.saved, 'handed-over': l.handedOver, 'not-live': l.notLive, reported: l.reported, 'follow-up': l.followUpOpened }[v.notice] : null;
  const action = escapeHtml(v.path);
  const options = CALL_TYPES.map((t) => `<option value="${t}"${c.type === t ? ' selected' : ''}>${escapeHtml(l.types[t])}</option>`).join('');
  const body =
    `<h1>${escapeHtml(l.title)}</h1>` +
    (notice ? `<p class="note">${escapeHtml(notice)}</p>` : '') +
    (v.error ? `<p class="error" role="alert">${escapeHtml(v.error)}</p>` : '') +
    `<dl>${rows.map(([k, val]) => `<dt>${escapeHtml(k)}</dt><dd>${escapeHtml(val)}</dd>`).join('')}</dl>` +
    (v.recordingSrc ? `<p>${escapeHtml(l.recording)}</p><audio controls preload="none" src="${escapeHtml(v.recordingSrc)}"></audio>` : '') +
    (live
      ? `<form class="handover" method="post" action="${action}/handover"><p>${escapeHtml(l.handoverHelp)}</p>` +
        `<button type="submit">${escapeHtml(l.handover)}</button></form>`
      : '') +
    `<form method="post" action="${action}">` +
    `<label for="type">${escapeHtml(l.type)}</label><select id="type" name="type"><option value="">-</option>${options}</select>` +
    `<label for="callerName">${escapeHtml(l.callerName)}</label>` +
    `<input id="callerName" name="callerName" maxlength="100" value="${escapeHtml(c.notedCallerName ?? '')}" placeholder="${escapeHtml(c.callerName ?? '')}">` +
    `<label for="summary">${escapeHtml(l.summary)}</label><textarea id="summary" name="summary" maxlength="2000">${escapeHtml(c.summary ?? '')}</textarea>` +
    `<button type="submit">${escapeHtml(l.save)}</button></form>` +
    // Posted to src/agent-page/follow-up-routes.ts: a follow-up ticket on this call.
    (v.followUp
      ? `<form class="handover" method="post" action="${action}/follow-up" data-action="follow-up"><p>${escapeHtml(l.followUpHelp)}</p>` +
        `<label for="fu-summary">${escapeHtml(l.followUpSummary)}</label><textarea id="fu-summary" name="summary" required maxlength="2000"></textarea>` +
        `<label for="fu-due">${escapeHtml(l.followUpDue)}</label><input id="fu-due" name="dueAt" type="datetime-local">` +
        `<button type="submit">${escapeHtml(l.followUp)}</button></form>`
      : '') +
    // Posted to the protection feature (src/protection/report-button.ts); a withheld number cannot be reported.
    (isWithheldNumber(c.from)
      ? ''
      : `<form class="handover" method="post" action="${action}/report"><p>${escapeHtml(l.reportHelp)}</p>` +
        `<button type="submit">${escapeHtml(l.reportCaller)}</button></form>`);
  return layout(lang, l.title, body);
}
