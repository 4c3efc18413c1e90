import type { Lang } from './i18n';

/**
 * How long until a deadline, or how long past it, in words a supervisor reads at a glance:
 * minutes under an hour, hours and minutes under a day, then days and hours. Pure: `now` is given.
 */
export function timeLeftText(lang: Lang, due: Date, now: Date): { text: string; late: boolean } {
  const ms = due.getTime() - now.getTime();
  const late = ms < 0;
  const minutes = Math.floor(Math.abs(ms) / 60_000);
  const d = Math.floor(minutes / 1440);
  const h = Math.floor((minutes % 1440) / 60);
  const m = minutes % 60;
  const zh = lang === 'zh';
  const parts = d > 0 ? [[d, zh ? '天' : 'd'], [h, zh ? '小时' : 'h']] : h > 0 ? [[h, zh ? '小时' : 'h'], [m, zh ? '分' : 'min']] : [[m, zh ? '分' : 'min']];
  const span = parts
    .filter(([n], i) => i === 0 || n !== 0)
    .map(([n, unit]) => (zh ? `${n}${unit}` : `${n} ${unit}`))
    .join(zh ? '' : ' ');
  return { text: late ? (zh ? `超时 ${span}` : `${span} late`) : zh ? `剩 ${span}` : `${span} left`, late };
}
