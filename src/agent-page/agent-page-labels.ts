import type { PausedReason } from '../domain/ports';
import type { AgentLanguage } from '../postgres/agent-page-store';

/** What the page said it did, after a POST that worked (the page is shown again with ?done=...). */
export const NOTICES = ['on', 'off', 'leave', 'dialled', 'language'] as const;
export type Notice = (typeof NOTICES)[number];

export interface AgentPageLabels {
  title: string;
  refused: string;
  refusedHelp: string;
  failed: string;
  failedHelp: string;
  otherLanguage: string;
  stateOn: string;
  stateCovering(names: string): string;
  stateOnLeave: string;
  stateOffShift: string;
  onWith(names: string): string;
  nobodyElse: string;
  pausedBy: Record<PausedReason, string>;
  adminPausedHelp: string;
  goOn: string;
  goOff: string;
  callbacks: string;
  none: string;
  due(at: string): string;
  overdue(at: string): string;
  tried: string;
  dial: string;
  dialAgain: string;
  dialHelp: string;
  tickets: string;
  noTickets: string;
  ticketKinds: Record<string, string>;
  ticketsHelp: string;
  notes: string;
  notesDone: string;
  writeUp: string;
  leave: string;
  leaveKind: string;
  leaveKinds: Record<'annual' | 'sick' | 'personal', string>;
  from: string;
  to: string;
  substitute: string;
  askLeave: string;
  leaveHelp(timeZone: string): string;
  fines: string;
  noFines: string;
  waived: string;
  fineTotal(total: number): string;
  figures: string;
  answerRate: string;
  calls: string;
  rating: string;
  onTime: string;
  grade: string;
  noGrade: string;
  noFigures: string;
  figuresHelp: string;
  listSep: string;
  notices: Record<Notice, string>;
  /** Refusals the page itself makes (the roster's and the callbacks' come in English from their services). */
  errors: {
    duty: string;
    adminPaused: string;
    language: string;
    kind: string;
    start: string;
    end: string;
    past: string;
    substitute: string;
    callback: string;
    ticket: string;
  };
}

export const agentPageLabels: Record<AgentLanguage, AgentPageLabels> = {
  'zh-CN': {
    title: '我的热线',
    refused: '链接无效或已过期',
    refusedHelp: '请使用最新消息中的链接，或联系管理员。',
    failed: '出错了',
    failedHelp: '请稍后再试；什么也没有改变。',
    otherLanguage: 'English',
    stateOn: '接听中：热线来电会转接给您。',
    stateCovering: (names) => `接听中，代班：${names}。`,
    stateOnLeave: '休假中：热线不会转接给您。',
    stateOffShift: '现在不是您的班次：来电不会转接给您，上班时间到后自动转接。',
    onWith: (names) => `现在在班：${names}`,
    nobodyElse: '现在没有其他人在班。',
    pausedBy: { admin: '已暂停（管理员）：热线不会转接给您。', sms: '已下班（暂停）：热线不会转接给您。', 'auto-pause': '已暂停：连续未接来电，系统自动暂停。' },
    adminPausedHelp: '由管理员暂停，请联系管理员恢复。',
    goOn: '上班（接听来电）',
    goOff: '下班（暂停接听）',
    callbacks: '待回电',
    none: '没有待回电。',
    due: (at) => `${at} 到期`,
    overdue: (at) => `已超时（${at} 到期）`,
    tried: '已尝试回电，客户未接通。',
    dial: '回电',
    dialAgain: '再次回电',
    dialHelp: '点"回电"后热线会先呼叫您的电话，按 1 再接通客户；客户看到的是热线号码。',
    tickets: '我的工单',
    noTickets: '没有未结的工单。',
    ticketKinds: { 'follow-up': '回复客户', dispatch: '转办', 'return-visit': '回访', complaint: '投诉' },
    ticketsHelp: '在来电记录页可登记"答应回复客户"；到期前会提醒您。',
    notes: '待填写的来电记录',
    notesDone: '来电记录已全部填写。',
    writeUp: '填写',
    leave: '请假',
    leaveKind: '类型',
    leaveKinds: { personal: '事假', sick: '病假', annual: '年假' },
    from: '开始',
    to: '结束',
    substitute: '代班人',
    askLeave: '提交请假',
    leaveHelp: (tz) => `时间按热线所在时区（${tz}）。休假期间来电和待回电转给代班人；同一时间最多一人休年假。`,
    fines: '本月罚款',
    noFines: '本月没有罚款。',
    waived: '已免除',
    fineTotal: (t) => `合计（未免除）：${t}`,
    figures: '本月数据',
    answerRate: '接听率',
    calls: '接听来电',
    rating: '平均评分',
    onTime: '按时回电',
    grade: '月度等级',
    noGrade: '暂无（本月尚无可评数据）',
    noFigures: '暂无数据。',
    figuresHelp: '本月至今，按月度考核的规则计算；月底定级。',
    listSep: '、',
    notices: { on: '已上班：热线来电会转接给您。', off: '已下班：热线暂停为您转接。', leave: '请假已登记，代班人会收到通知。', dialled: '正在呼叫您的电话：接听后按 1 接通客户。', language: '已切换为中文。' },
    errors: {
      duty: 'duty: 必须是 on 或 off',
      adminPaused: '您由管理员暂停，请联系管理员恢复。',
      language: 'language: 必须是 zh-CN 或 en-US',
      kind: 'kind: 请选择请假类型',
      start: 'start: 请填写开始时间',
      end: 'end: 请填写结束时间（须晚于开始时间）',
      past: 'start: 开始时间不能早于现在',
      substitute: 'substituteAgentId: 请选择代班人',
      callback: 'callback: 没有这个待回电',
      ticket: 'ticket: 没有这个未结工单',
    },
  },
  'en-US': {
    title: 'My hotline',
    refused: 'This link is not valid or has expired',
    refusedHelp: 'Use the link in your latest message, or ask an admin.',
    failed: 'Something went wrong',
    failedHelp: 'Try again in a moment; nothing was changed.',
    otherLanguage: '中文',
    stateOn: 'Taking calls: hotline calls come to you.',
    stateCovering: (names) => `Taking calls, covering for ${names}.`,
    stateOnLeave: 'On leave: no hotline calls come to you.',
    stateOffShift: 'Not your shift now: calls come to you once your shift starts.',
    onWith: (names) => `On duty now: ${names}`,
    nobodyElse: 'Nobody else is on duty now.',
    pausedBy: { admin: 'Paused by an admin: no hotline calls come to you.', sms: 'Off duty (paused): no hotline calls come to you.', 'auto-pause': 'Paused automatically after missed calls.' },
    adminPausedHelp: 'An admin paused you; ask an admin to resume you.',
    goOn: 'Go on duty (take calls)',
    goOff: 'Go off duty (pause)',
    callbacks: 'Callbacks',
    none: 'No callbacks to return.',
    due: (at) => `due ${at}`,
    overdue: (at) => `overdue (due ${at})`,
    tried: 'Tried; the customer was not reached.',
    dial: 'Call back',
    dialAgain: 'Call back again',
    dialHelp: 'The hotline rings your phone first; press 1 and the customer is dialled. They see the hotline number.',
    tickets: 'My tickets',
    noTickets: 'No open tickets.',
    ticketKinds: { 'follow-up': 'Follow-up', dispatch: 'Dispatch', 'return-visit': 'Return visit', complaint: 'Complaint' },
    ticketsHelp: 'Promise a call back from a call\'s notes page; you are reminded before it is due.',
    notes: 'Calls to write up',
    notesDone: 'Every call is written up.',
    writeUp: 'Write up',
    leave: 'Leave',
    leaveKind: 'Kind',
    leaveKinds: { personal: 'Personal', sick: 'Sick', annual: 'Annual' },
    from: 'From',
    to: 'To',
    substitute: 'Substitute',
    askLeave: 'Ask for leave',
    leaveHelp: (tz) => `Times are in the hotline's time zone (${tz}). While you are away your calls and callbacks go to your substitute; one agent at most on annual leave at a time.`,
    fines: 'Fines this month',
    noFines: 'No fines this month.',
    waived: 'waived',
    fineTotal: (t) => `Total (not waived): ${t}`,
    figures: 'This month',
    answerRate: 'Answer rate',
    calls: 'Calls answered',
    rating: 'Average rating',
    onTime: 'Callbacks on time',
    grade: 'Monthly grade',
    noGrade: 'none yet (nothing to grade this month)',
    noFigures: 'No figures yet.',
    figuresHelp: 'This month so far, by the monthly evaluation rules; the grade is settled at the end of the month.',
    listSep: ', ',
    notices: { on: 'You are on: hotline calls will come to you.', off: 'You are off: no hotline calls until you go on again.', leave: 'Your leave is recorded; your substitute is told.', dialled: 'Calling your phone: answer and press 1 to reach the customer.', language: 'Switched to English.' },
    errors: {
      duty: 'duty: must be on or off',
      adminPaused: 'An admin paused you; ask an admin to resume you.',
      language: 'language: must be zh-CN or en-US',
      kind: 'kind: choose the kind of leave',
      start: 'start: give the start',
      end: 'end: give the end, after the start',
      past: 'start: must not be in the past',
      substitute: 'substituteAgentId: choose a substitute',
      callback: 'callback: no such callback',
      ticket: 'ticket: no such open ticket of yours',
    },
  },
};
