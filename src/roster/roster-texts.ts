import type { PausedReason } from '../domain/ports';

/** What the roster texts agents and admins, in the hotline's prompt language. */
export interface RosterTexts {
  autoPaused(missed: number): string;
  autoResumed: string;
  callbacksMoved(absentName: string, count: number): string;
  help: string;
  resumed: string;
  paused: string;
  pausedByAdmin: string;
  /**
   * The answer to STATUS. A paused agent is told who paused them and how to come back, and nothing
   * about their shift: "off duty" would read as "not on shift" when the pause is why no call comes.
   */
  status(s: { paused: boolean; reason: PausedReason | null; onDuty: boolean; onLeave: boolean }): string;
  gapAlert(gaps: string[]): string;
}

const zh: RosterTexts = {
  autoPaused: (n) => `您已连续${n}次未接热线来电，已暂停为您转接。回复"上班"或ON恢复接听。`,
  autoResumed: '热线已恢复为您转接来电。回复"下班"或OFF暂停。',
  callbacksMoved: (name, n) => `${name}休假期间由您代班，${n}个待回电已转给您。`,
  help: '热线指令：上班(ON) 接听来电；下班(OFF) 暂停；状态(STATUS) 查询。',
  resumed: '已上班：热线来电会转接给您。',
  paused: '已下班：热线暂停为您转接，回复"上班"或ON恢复。',
  pausedByAdmin: '您由管理员暂停，请联系管理员恢复。',
  status: (s) =>
    s.paused
      ? `状态：暂停中（${s.reason === 'auto-pause' ? '连续未接，系统自动暂停' : s.reason === 'sms' ? '您本人短信暂停' : '管理员暂停'}），热线不会转接给您${s.onLeave ? '；休假中' : ''}。${s.reason === 'sms' || s.reason === 'auto-pause' ? '回复"上班"或ON恢复。' : '请联系管理员恢复。'}`
      : `状态：接听中；${s.onLeave ? '休假中' : s.onDuty ? '当前在班' : '当前不在班'}。`,
  gapAlert: (gaps) => `热线排班提醒：以下时段无人值班：${gaps.join('；')}。`,
};

const en: RosterTexts = {
  autoPaused: (n) => `You missed ${n} hotline calls in a row, so calls are paused for you. Reply ON to take calls again.`,
  autoResumed: 'Hotline calls are coming to you again. Reply OFF to pause.',
  callbacksMoved: (name, n) => `You cover for ${name} during their leave: ${n} open callback(s) are now yours.`,
  help: 'Hotline commands: ON to take calls, OFF to pause, STATUS to check.',
  resumed: 'You are on: hotline calls will come to you.',
  paused: 'You are off: no hotline calls until you reply ON.',
  pausedByAdmin: 'An admin paused you; ask an admin to resume you.',
  status: (s) =>
    s.paused
      ? `Status: ${s.reason === 'auto-pause' ? 'paused automatically after missed calls' : s.reason === 'sms' ? 'paused by you (SMS)' : 'paused by an admin'}: no hotline calls come to you${s.onLeave ? '; on leave' : ''}. ${s.reason === 'sms' || s.reason === 'auto-pause' ? 'Reply ON to take calls again.' : 'Ask an admin to resume you.'}`
      : `Status: taking calls; ${s.onLeave ? 'on leave' : s.onDuty ? 'on duty now' : 'off duty now'}.`,
  gapAlert: (gaps) => `Hotline roster: nobody is on duty ${gaps.join('; ')}.`,
};

export const rosterTexts = (language: 'zh-CN' | 'en-US'): RosterTexts => (language === 'en-US' ? en : zh);
