import { DateTime } from 'luxon';
import { callFigures } from '../api/json';
import type { CallbackFeature } from '../callbacks/callback-feature';
import type { Container } from '../container';
import type { Agent, Call } from '../domain/ports';
import type { CallInProgress, PostgresConsoleStore } from '../postgres/console-store';
import type { PostgresAuditStore } from '../postgres/audit-store';
import { html, type SafeHtml } from './html';
import { t } from './i18n';
import { label, localTime, percent, secondsText, shownNumber } from './layout';
import { pauseText } from './pause-text';
import type { Viewer } from './session';

export type AgentState = 'ringing' | 'talking' | 'onDuty' | 'paused' | 'inactive';

/** The Today page's figures and live lists, as one snapshot; the live stream pushes it when it changes. */
export interface TodaySnapshot {
  from: Date;
  to: Date;
  figures: ReturnType<typeof callFigures>;
  callbacksOpen: number;
  callbacksLate: number;
  inProgress: CallInProgress[];
  agents: { agent: Agent; state: AgentState; pauseReason: string | null }[];
  latest: Call[];
  /** Hotlines no agent can be rung on now (everyone in their group paused, off duty or on leave); '' stands for the hotline when no number is on record. */
  nobodyToRing: string[];
}

export interface TodayDeps {
  c: Container;
  store: PostgresConsoleStore;
  audit: PostgresAuditStore;
  callbacks: () => CallbackFeature | undefined;
}

/** Today, in the hotline's zone: from local midnight to now; the same figures as GET /api/analytics/summary for that range. */
export async function todaySnapshot(d: TodayDeps): Promise<TodaySnapshot> {
  const to = d.c.clock.now();
  const from = DateTime.fromJSDate(to, { zone: d.c.config.TIME_ZONE }).startOf('day').toJSDate();
  const cb = d.callbacks();
  const [summary, open, attempted, inProgress, roster, latest, pauses] = await Promise.all([
    d.c.analytics.callSummary(from, to),
    cb ? cb.callbacks.list({ status: 'open', limit: 500 }) : [],
    cb ? cb.callbacks.list({ status: 'attempted', limit: 500 }) : [],
    d.store.callsInProgress(),
    d.c.agents.list({ includeInactive: false }),
    d.c.calls.listCalls({ from, to: new Date(to.getTime() + 1), limit: 10 }),
    d.audit.recent({ actionPrefix: 'agent.pause', limit: 200 }),
  ]);
  const pending = [...open, ...attempted];
  const nobodyToRing = await whereNobodyCanBeRung(d.c, to);
  const states = await Promise.all(
    roster.map(async (agent) => {
      const talking = inProgress.some((x) => x.state === 'connected' && x.answeredByAgentId === agent.id);
      // A claim counts only for a call still live: one left by an ended call lapses on its own, later.
      const claimedFor = (await d.c.coordinator.holderOf(agent.id))?.split(':')[0];
      const ringing = !talking && inProgress.some((x) => x.ringingAgentId === agent.id || x.id === claimedFor);
      const state: AgentState = talking ? 'talking' : ringing ? 'ringing' : agent.paused ? 'paused' : 'onDuty';
      const typed = agent.pausedReason === 'admin' ? ((pauses.find((p) => p.target === agent.id)?.detail?.reason as string | undefined) ?? null) : null;
      return { agent, state, pauseReason: agent.paused ? typed : null };
    }),
  );
  return {
    from,
    to,
    figures: callFigures(summary),
    callbacksOpen: pending.length,
    callbacksLate: pending.filter((x) => x.lapsedAt !== null || x.dueAt < to).length,
    inProgress,
    agents: states,
    latest,
    nobodyToRing,
  };
}

/** The hotlines whose next caller would ring nobody: the roster's own answer (shifts, leave, pauses, the group). */
async function whereNobodyCanBeRung(c: Container, at: Date): Promise<string[]> {
  const hotlines = await c.rosterStore.listHotlines();
  const numbers = hotlines.length ? hotlines.map((h) => h.number) : [''];
  const empty = await Promise.all(numbers.map(async (to) => (await c.roster.candidates({ id: 'console-today', to }, at)).agents.length === 0));
  return numbers.filter((_, i) => empty[i]);
}

/** What changes on screen; the tick pushes only when this differs from the last push. */
export const snapshotKey = (s: TodaySnapshot) =>
  JSON.stringify([s.figures, s.callbacksOpen, s.callbacksLate, s.inProgress, s.agents.map((a) => [a.agent.id, a.state, a.agent.pausedReason, a.pauseReason]), s.nobodyToRing, s.latest.map((c) => [c.id, c.state, c.outcome])]);

const tile = (key: string, name: string, value: number | null, shown: string, bad = false) =>
  html`<div class="tile ${bad ? 'bad' : ''}" data-tile="${key}" data-value="${value === null ? '' : String(value)}"><div class="k">${name}</div><div class="v">${shown}</div></div>`;

/** A caller now would ring nobody: said above everything else, with where to fix it. */
export function renderWarning(s: TodaySnapshot, v: Viewer): SafeHtml {
  if (s.nobodyToRing.length === 0) return html``;
  const l = v.lang;
  const where = s.nobodyToRing.filter((n) => n !== '').join(', ');
  return html`<p class="error" role="alert" data-nobody-to-ring="${s.nobodyToRing.join(',')}">${t(l, 'nobodyToRing', { where: where ? ` (${where})` : '' })} <a href="/console/agents">${t(l, 'agents')}</a></p>`;
}

export function renderTiles(s: TodaySnapshot, v: Viewer): SafeHtml {
  const f = s.figures;
  const l = v.lang;
  return html`${tile('answerRate', t(l, 'answerRate'), f.answerRate, percent(f.answerRate))}
    ${tile('serviceLevel', t(l, 'serviceLevel'), f.serviceLevel, percent(f.serviceLevel))}
    ${tile('averageSpeedOfAnswerSeconds', t(l, 'speedOfAnswer'), f.averageSpeedOfAnswerSeconds, secondsText(f.averageSpeedOfAnswerSeconds))}
    ${tile('offered', t(l, 'offered'), f.offered, String(f.offered))}
    ${tile('answered', t(l, 'answered'), f.answered, String(f.answered))}
    ${tile('abandoned', t(l, 'abandoned'), f.abandoned, String(f.abandoned), f.abandoned > 0)}
    ${tile('missed', t(l, 'missed'), f.missed, String(f.missed), f.missed > 0)}
    ${tile('callbacksOpen', t(l, 'callbacksOpen'), s.callbacksOpen, String(s.callbacksOpen))}
    ${tile('callbacksLate', t(l, 'callbacksLate'), s.callbacksLate, String(s.callbacksLate), s.callbacksLate > 0)}`;
}

export function renderLive(s: TodaySnapshot, v: Viewer, timeZone: string): { inProgress: SafeHtml; agents: SafeHtml; latest: SafeHtml } {
  const l = v.lang;
  const names = new Map(s.agents.map((a) => [a.agent.id, a.agent.name]));
  const callState = (x: CallInProgress) => (x.state === 'connected' ? 'talking' : x.waitingSince ? 'waiting' : x.ringingAgentId ? 'ringing' : 'hunting');
  const inProgress = s.inProgress.length
    ? html`<div class="scroll"><table><thead><tr><th>${t(l, 'caller')}</th><th>${t(l, 'status')}</th><th>${t(l, 'agent')}</th><th>${t(l, 'arrived')}</th></tr></thead><tbody>
      ${s.inProgress.map(
        (x) => html`<tr data-call="${x.id}"><td><a href="/console/calls/${x.id}">${shownNumber(v, x.from)}</a></td>
          <td><span class="pill ${callState(x)}">${t(l, `state_${callState(x)}`)}</span></td>
          <td>${names.get(x.answeredByAgentId ?? x.ringingAgentId ?? '') ?? ''}</td><td>${localTime(x.startedAt, timeZone, 'HH:mm:ss')}</td></tr>`,
      )}</tbody></table></div>`
    : html`<p class="muted">${t(l, 'noCallsInProgress')}</p>`;
  const agents = html`<div class="scroll"><table><thead><tr><th>${t(l, 'agent')}</th><th>${t(l, 'status')}</th></tr></thead><tbody>
    ${s.agents.map(
      (a) => html`<tr data-agent="${a.agent.id}"><td>${a.agent.name}</td><td><span class="pill ${a.state}" data-state="${a.state}">${t(l, `state_${a.state}`)}</span>${
        a.agent.paused ? html` <span class="muted" data-pause-reason>${pauseText(l, a.agent, a.pauseReason, timeZone)}</span>` : ''
      }</td></tr>`,
    )}</tbody></table></div>`;
  const latest = html`<div class="scroll"><table><thead><tr><th>${t(l, 'arrived')}</th><th>${t(l, 'caller')}</th><th>${t(l, 'outcome')}</th><th>${t(l, 'agent')}</th><th>${t(l, 'wait')}</th></tr></thead><tbody>
    ${s.latest.map(
      (c) => html`<tr data-call="${c.id}"><td>${localTime(c.startedAt, timeZone, 'HH:mm:ss')}</td><td><a href="/console/calls/${c.id}">${shownNumber(v, c.from)}</a></td>
        <td>${c.outcome ? label(l, 'outcome', c.outcome) : t(l, `state_${c.state === 'connected' ? 'talking' : 'hunting'}`)}</td><td>${names.get(c.answeredByAgentId ?? '') ?? ''}</td><td>${secondsText(c.waitSeconds)}</td></tr>`,
    )}</tbody></table></div>`;
  return { inProgress, agents, latest };
}

/** The parts of the Today page the live stream replaces, by element id. */
export function todayParts(s: TodaySnapshot, v: Viewer, timeZone: string): Record<string, string> {
  const live = renderLive(s, v, timeZone);
  return { 'ring-warning': renderWarning(s, v).value, tiles: renderTiles(s, v).value, 'in-progress': live.inProgress.value, 'agent-states': live.agents.value, latest: live.latest.value };
}

export function todayContent(s: TodaySnapshot, v: Viewer, timeZone: string): SafeHtml {
  const live = renderLive(s, v, timeZone);
  const l = v.lang;
  return html`<div data-live="/console/events"><p class="muted"><span class="live-dot"></span>${t(l, 'live')} · ${localTime(s.from, timeZone, 'yyyy-MM-dd')} (${timeZone})</p>
    <div id="ring-warning">${renderWarning(s, v)}</div>
    <section class="tiles" id="tiles">${renderTiles(s, v)}</section>
    <h2>${t(l, 'inProgress')}</h2><section class="card" id="in-progress">${live.inProgress}</section>
    <h2>${t(l, 'agentStates')}</h2><section class="card" id="agent-states">${live.agents}</section>
    <h2>${t(l, 'recentCalls')}</h2><section class="card" id="latest">${live.latest}</section></div>`;
}
