import type { Agent } from '../domain/ports';
import { t, type Lang } from './i18n';
import { localTime } from './layout';

/**
 * Why an agent is paused, in words: who paused them (the auto-pause after missed calls, the agent
 * by SMS, an admin), since when, and the reason an admin typed when there is one. Empty for an
 * agent who is not paused.
 */
export function pauseText(lang: Lang, agent: Pick<Agent, 'paused' | 'pausedReason' | 'pausedAt'>, typedReason: string | null | undefined, timeZone: string): string {
  if (!agent.paused) return '';
  const who = t(lang, `pausedBy_${agent.pausedReason ?? 'admin'}`);
  const since = agent.pausedAt ? t(lang, 'pausedSince', { at: localTime(agent.pausedAt, timeZone, 'MM-dd HH:mm') }) : '';
  return [who, typedReason || null, since || null].filter(Boolean).join(' · ');
}
