import { ADMIN_TOKEN_ACTOR } from '../domain/console-roles';
import { t, type Lang } from './i18n';

/**
 * Who did something, as a person reads it: for `account:<username>` the name the person goes by
 * (`displayNames`, by username), else the username; the shared API token in words; anything else
 * (a system actor such as `auto-pause`) by its label, or as it is.
 */
export function actorName(lang: Lang, actor: string | null | undefined, displayNames: ReadonlyMap<string, string> = new Map()): string {
  if (!actor) return '—';
  if (actor === ADMIN_TOKEN_ACTOR) return t(lang, 'actor_adminToken');
  if (actor.startsWith('account:')) {
    const username = actor.slice('account:'.length);
    return displayNames.get(username) ?? username;
  }
  return t(lang, `actor_${actor}`).replace(/^actor_/, '');
}
