import { DateTime } from 'luxon';
import type { DutyInterval } from './shifts';

/**
 * The digest an agent gets when their shift starts: the callbacks they owe, the calls they have
 * not written up, and who else is on duty with them. Finding the shift starts and composing the
 * text are pure: the roster's timeline and the time come in as arguments.
 */

export interface ShiftStart {
  agentId: string;
  start: Date;
  /** When the agent goes off duty again, if the timeline reaches that far. */
  end: Date | null;
  /** The other agents on duty as the shift starts. */
  colleagueIds: string[];
}

/**
 * The shift starts in (since, until]: an agent on duty in one interval of the timeline who was
 * not in the one before. The timeline's first interval has nothing before it, so it starts
 * nothing: the timeline must begin before `since`.
 */
export function shiftStarts(timeline: readonly DutyInterval[], since: Date, until: Date): ShiftStart[] {
  const out: ShiftStart[] = [];
  const on = (i: number) => new Set(timeline[i]!.onDuty.map((x) => x.agentId));
  for (let i = 1; i < timeline.length; i++) {
    const at = timeline[i]!.start.getTime();
    if (at <= since.getTime() || at > until.getTime()) continue;
    const before = on(i - 1);
    const now = on(i);
    for (const agentId of now) {
      if (before.has(agentId)) continue;
      let end: Date | null = null;
      for (let j = i + 1; j < timeline.length; j++) {
        if (!on(j).has(agentId)) {
          end = timeline[j]!.start;
          break;
        }
      }
      // The last interval runs to the timeline's end, which is not the end of anyone's shift.
      if (end === null && !on(timeline.length - 1).has(agentId)) end = timeline[timeline.length - 1]!.end;
      out.push({ agentId, start: timeline[i]!.start, end, colleagueIds: [...now].filter((x) => x !== agentId) });
    }
  }
  return out;
}

export interface DigestFacts {
  agentName: string;
  shiftStart: Date;
  shiftEnd: Date | null;
  timeZone: string;
  now: Date;
  /** The callbacks the agent owes, the soonest due first; numbers already masked (a digest may land in a group). */
  callbacks: { maskedPhone: string; dueAt: Date }[];
  unfinishedNotes: number;
  colleagues: string[];
  paused: boolean;
}

/** How many callbacks the digest names one by one; the rest are counted. */
export const DIGEST_CALLBACK_LINES = 5;

/** The digest's text, in Mandarin and in English; the page's link travels beside it. */
export function composeShiftDigest(f: DigestFacts): { zh: string; en: string } {
  const hm = (d: Date) => DateTime.fromJSDate(d, { zone: f.timeZone }).toFormat('HH:mm');
  const day = DateTime.fromJSDate(f.shiftStart, { zone: f.timeZone }).toFormat('MM-dd');
  const span = `${day} ${hm(f.shiftStart)}${f.shiftEnd ? `–${hm(f.shiftEnd)}` : ''}`;
  const shown = f.callbacks.slice(0, DIGEST_CALLBACK_LINES);
  const more = f.callbacks.length - shown.length;
  const late = (d: Date) => d.getTime() <= f.now.getTime();

  const zh = [
    `【热线】${f.agentName}，您的班次 ${span} 开始了。`,
    f.callbacks.length === 0
      ? '待回电：无。'
      : `待回电 ${f.callbacks.length} 个：` +
        shown.map((c) => `${c.maskedPhone}（${hm(c.dueAt)} 到期${late(c.dueAt) ? '，已超时' : ''}）`).join('；') +
        (more > 0 ? `；另有 ${more} 个` : '') +
        '。',
    f.unfinishedNotes === 0 ? '来电记录已全部填写。' : `未填写的来电记录 ${f.unfinishedNotes} 条。`,
    f.colleagues.length === 0 ? '本班只有您一人在班。' : `同班：${f.colleagues.join('、')}。`,
    ...(f.paused ? ['您目前处于暂停状态，热线不会转接给您；可在页面上恢复接听。'] : []),
  ].join('\n');

  const en = [
    `[Hotline] ${f.agentName}, your shift ${span} has started.`,
    f.callbacks.length === 0
      ? 'Callbacks due: none.'
      : `Callbacks due: ${f.callbacks.length}: ` +
        shown.map((c) => `${c.maskedPhone} (due ${hm(c.dueAt)}${late(c.dueAt) ? ', overdue' : ''})`).join('; ') +
        (more > 0 ? `; and ${more} more` : '') +
        '.',
    f.unfinishedNotes === 0 ? 'Every call is written up.' : `Calls still to write up: ${f.unfinishedNotes}.`,
    f.colleagues.length === 0 ? 'You are the only one on duty.' : `On duty with you: ${f.colleagues.join(', ')}.`,
    ...(f.paused ? ['You are paused: no hotline calls come to you until you resume on your page.'] : []),
  ].join('\n');

  return { zh, en };
}
