import type { Container } from '../container';
import { html, type SafeHtml } from '../console/html';
import { t } from '../console/i18n';
import { csrfField, localTime, secondsText } from '../console/layout';
import type { Viewer } from '../console/session';
import { mayHold, mayListen } from '../domain/recording-rules';
import { recordingsOf } from './recording-feature';

/**
 * The address a console page's player plays a call's recording from: GET /api/calls/:id/recording
 * with a signed link for this account (the session cookie is scoped to /console and does not
 * reach /api); without the recordings feature, the bare address.
 */
export function playerSrc(c: Container, v: Viewer, callId: string, recordingId?: string): string {
  const feature = recordingsOf(c);
  const path = `/api/calls/${callId}/recording`;
  if (!feature) return path;
  const { token } = feature.service.listenLink(callId, { accountId: v.account.id }, c.config.CONSOLE_SESSION_HOURS);
  return `${path}?${new URLSearchParams({ ...(recordingId ? { recording: recordingId } : {}), token }).toString()}`;
}

/** The agent's own recording of a call, for their phone's call page: a signed link that opens that call only, or null. */
export async function agentRecordingSrc(c: Container, callId: string, agentId: string): Promise<string | null> {
  const feature = recordingsOf(c);
  if (!feature) return null;
  const own = (await feature.service.store.ofCall(callId)).find((r) => r.agentId === agentId && r.status !== 'deleted');
  if (!own) return null;
  const { token } = feature.service.listenLink(callId, { agentId });
  return `/api/calls/${callId}/recording?${new URLSearchParams({ recording: own.id, token }).toString()}`;
}

/**
 * The call page's recordings: a player for each one not deleted, for those who may listen
 * (admins, supervisors, quality inspectors), and who listened when and from where. A viewer gets
 * no player and no address to one. The player's address carries a signed link for this account:
 * the session cookie is scoped to /console and does not reach /api.
 */
export async function recordingSection(c: Container, v: Viewer, callId: string): Promise<SafeHtml | ''> {
  const feature = recordingsOf(c);
  if (!feature) return '';
  const l = v.lang;
  const tz = c.config.TIME_ZONE;
  const recordings = await feature.service.store.ofCall(callId);
  if (recordings.length === 0) return html`<section class="card" id="recordings"><h2>${t(l, 'recordings')}</h2><p class="muted">${t(l, 'recordingNone')}</p></section>`;
  if (!mayListen(v.account.role)) {
    return html`<section class="card" id="recordings"><h2>${t(l, 'recordings')}</h2><p class="muted" data-no-player>${t(l, 'recordingNotForViewer')}</p></section>`;
  }
  const listens = await feature.service.store.listens({ callId, limit: 50 });
  const items = recordings.map(
    (r) => html`<li data-recording="${r.id}"><p>${t(l, `recordingKind_${r.kind}`)} · ${secondsText(r.seconds)} · <span data-recording-status>${t(l, `recordingStatus_${r.status}`)}</span>
      ${r.status === 'deleted' ? '' : html` · ${t(l, 'recordingDeleteAfter', { at: localTime(r.deleteAfter, tz, 'yyyy-MM-dd') })}`}
      ${r.heldReason ? html` · ${t(l, 'recordingHeld', { reason: r.heldReason })}` : ''}</p>
      ${r.status === 'deleted' ? '' :  // preload="none": opening the page fetches nothing; only pressing play is a listen.
        html`<audio controls preload="none" src="${playerSrc(c, v, callId, r.id)}"></audio>`}</li>`,
  );
  const held = recordings.some((r) => r.status === 'held');
  const kept = recordings.some((r) => r.status !== 'deleted');
  const holdForm = !mayHold(v.account.role) || !kept
    ? ''
    : held
      ? html`<form method="post" action="/console/calls/${callId}/recording/release" data-release>${csrfField(v)}<button type="submit">${t(l, 'recordingRelease')}</button></form>`
      : html`<form method="post" action="/console/calls/${callId}/recording/hold" class="stack" data-hold>${csrfField(v)}<label>${t(l, 'recordingHoldReason')}<input name="reason" maxlength="500" required></label><button type="submit">${t(l, 'recordingHold')}</button></form>`;
  return html`<section class="card" id="recordings"><h2>${t(l, 'recordings')}</h2><ul class="recordings">${items}</ul>${holdForm}
    <h2>${t(l, 'recordingListens')}</h2>
    <div class="scroll"><table data-listens><tbody>${listens.map((x) => html`<tr><td>${localTime(x.at, tz)}</td><td>${x.actor}</td><td>${x.ip ?? ''}</td></tr>`)}</tbody></table></div></section>`;
}
