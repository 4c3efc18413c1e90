import type { TicketKind } from '../domain/tickets';
import type { PromptLanguage } from '../twiml/prompts';

const KIND: Record<PromptLanguage, Record<TicketKind, string>> = {
  'zh-CN': { 'follow-up': '回电', dispatch: '派单', 'return-visit': '回访', complaint: '投诉' },
  'en-US': { 'follow-up': 'follow-up', dispatch: 'dispatch', 'return-visit': 'return visit', complaint: 'complaint' },
};

/** The notices the ticket desk sends: the owner's reminder, the admins' alert, the assignee's hand-over and weekly chase. */
export const ticketTexts = {
  /** The summary of the follow-up a call typed repair opens when its notes say nothing yet. */
  repairSummary: (l: PromptLanguage) => (l === 'zh-CN' ? '报修来电：转交处理部门并跟进至完成' : 'Repair call: pass it to the department and follow it up until done'),
  reminder: (l: PromptLanguage, t: { kind: TicketKind; phone: string; due: string; summary: string }) =>
    l === 'zh-CN'
      ? `工单提醒：${KIND[l][t.kind]}工单（客户${t.phone}）须在${t.due}前完成：${t.summary}`
      : `Ticket reminder: the ${KIND[l][t.kind]} for caller ${t.phone} is due by ${t.due}: ${t.summary}`,
  alert: (l: PromptLanguage, t: { kind: TicketKind; phone: string; owner: string; summary: string }) =>
    l === 'zh-CN'
      ? `工单超时：${KIND[l][t.kind]}工单（客户${t.phone}）已超过期限，负责人${t.owner}：${t.summary}`
      : `Ticket overdue: the ${KIND[l][t.kind]} for caller ${t.phone} is past due (owner: ${t.owner}): ${t.summary}`,
  handover: (l: PromptLanguage, t: { name: string; phone: string; due: string; summary: string }) =>
    l === 'zh-CN'
      ? `${t.name}您好，热线派单：${t.summary}（客户${t.phone}），请于${t.due}前处理，完成后请打开链接登记：`
      : `${t.name}, the hotline passes you this: ${t.summary} (caller ${t.phone}), due ${t.due}. When done, mark it done here:`,
  chase: (l: PromptLanguage, t: { name: string; week: number; phone: string; due: string; summary: string }) =>
    l === 'zh-CN'
      ? `${t.name}您好，派单跟进（第${t.week}周）：${t.summary}（客户${t.phone}）尚未完成，期限${t.due}。完成后请打开链接登记：`
      : `${t.name}, weekly follow-up (week ${t.week}): ${t.summary} (caller ${t.phone}) is not done yet, due ${t.due}. When done, mark it done here:`,
};
