import { DateTime } from 'luxon';
import type { PausedReason } from '../domain/ports';
import { escapeHtml } from '../html';
import type { AgentLanguage } from '../postgres/agent-page-store';
import { agentPageLabels, type AgentPageLabels, type Notice } from './agent-page-labels';

/**
 * The agent's phone page, rendered on the server: no script, every value escaped, one column that
 * fits a 390 px screen, every action a button in a form that POSTs back to the page's own path.
 */
export interface AgentPageView {
  /** The page's own path (with its token); every form posts below it. */
  path: string;
  timeZone: string;
  now: Date;
  agent: { name: string; paused: boolean; pausedReason: PausedReason | null };
  duty: { onDuty: boolean; onLeave: boolean; onShift: boolean; coveringFor: string[] };
  callbacks: { id: string; phone: string; dueAt: Date; status: string; inFlight: boolean }[];
  notes: { startedAt: Date; from: string; url: string }[];
  leaves: { start: Date; end: Date; kind: string; substitute: string }[];
  colleagues: { id: string; name: string }[];
  /** The other agents taking calls now. */
  onWith: string[];
  fines: { amount: number; lapsedAt: Date; waived: boolean }[];
  figures: {
    month: string;
    acceptRate: number | null;
    offers: number;
    answered: number;
    averageRating: number | null;
    ratings: number;
    callbacksOnTime: number;
    callbacksLate: number;
    score: number | null;
    grade: string | null;
  } | null;
  /** The tickets the agent owns that are not closed, soonest due first (issue 26). */
  tickets: { id: string; kind: string; summary: string | null; phone: string | null; dueAt: Date; late: boolean; canDial: boolean }[];
  notice?: Notice;
  error?: string;
  /** What the leave form had, sent back with its error. */
  leaveForm?: Record<string, string>;
}

const STYLE =
  '*{box-sizing:border-box}body{font-family:system-ui,sans-serif;margin:0;padding:.75rem;max-width:36rem;line-height:1.4;overflow-wrap:anywhere}' +
  'h1{font-size:1.3rem;margin:.25rem 0}h2{font-size:1.1rem;margin:1.25rem 0 .5rem;border-top:1px solid #ddd;padding-top:.75rem}' +
  'ul{list-style:none;padding:0;margin:0}li{padding:.5rem 0;border-bottom:1px solid #eee}' +
  'label{display:block;margin-top:.5rem;font-weight:600}select,input,button{font-size:1rem;width:100%;padding:.55rem;max-width:100%}' +
  'button{margin-top:.5rem;border:0;border-radius:.4rem;background:#1f5fbf;color:#fff}button.off{background:#8a3b12}button.small{width:auto;padding:.35rem .75rem;margin:0}' +
  'form.inline{display:inline}.row{display:flex;justify-content:space-between;align-items:center;gap:.5rem;flex-wrap:wrap}' +
  '.note{padding:.5rem;background:#eef6ee}.error{padding:.5rem;background:#fbeaea}.muted{color:#555}.late{color:#b00020;font-weight:600}' +
  '.state{padding:.5rem;border-radius:.4rem;background:#f3f3f3}.on{background:#e3f4e3}.paused{background:#fdf0dc}' +
  'dl{display:grid;grid-template-columns:auto 1fr;gap:.25rem .75rem;margin:0}dt{color:#555}dd{margin:0}a{color:#1f5fbf}';

function layout(lang: AgentLanguage, title: string, body: string): string {
  return (
    `<!doctype html><html lang="${lang}"><head><meta charset="utf-8">` +
    '<meta name="viewport" content="width=device-width, initial-scale=1">' +
    // An empty icon: the browser asks for none (a 404 on every visit otherwise).
    '<link rel="icon" href="data:,">' +
    `<meta name="robots" content="noindex"><title>${escapeHtml(title)}</title><style>${STYLE}</style></head>` +
    `<body>${body}</body></html>`
  );
}

export function agentRefusedPage(lang: AgentLanguage): string {
  const l = agentPageLabels[lang];
  return layout(lang, l.refused, `<h1>${escapeHtml(l.refused)}</h1><p>${escapeHtml(l.refusedHelp)}</p>`);
}

export function agentFailedPage(lang: AgentLanguage): string {
  const l = agentPageLabels[lang];
  return layout(lang, l.failed, `<h1>${escapeHtml(l.failed)}</h1><p>${escapeHtml(l.failedHelp)}</p>`);
}

const percent = (r: number | null) => (r === null ? '—' : `${(r * 100).toFixed(1)}%`);

function stateLine(l: AgentPageLabels, v: AgentPageView): { text: string; cls: string } {
  if (v.agent.paused) return { text: l.pausedBy[v.agent.pausedReason ?? 'admin'], cls: 'paused' };
  if (v.duty.onLeave) return { text: l.stateOnLeave, cls: 'paused' };
  if (!v.duty.onShift) return { text: l.stateOffShift, cls: '' };
  return { text: v.duty.coveringFor.length > 0 ? l.stateCovering(v.duty.coveringFor.join(l.listSep)) : l.stateOn, cls: 'on' };
}

export function agentPage(lang: AgentLanguage, v: AgentPageView): string {
  const l = agentPageLabels[lang];
  const at = (d: Date, f = 'MM-dd HH:mm') => DateTime.fromJSDate(d, { zone: v.timeZone }).toFormat(f);
  const action = (sub: string) => escapeHtml(`${v.path}/${sub}`);
  const state = stateLine(l, v);

  const duty =
    `<section id="duty"><p class="state ${state.cls}" data-state="${v.agent.paused ? 'paused' : 'taking-calls'}">${escapeHtml(state.text)}</p>` +
    `<p class="muted" data-on-with>${escapeHtml(v.onWith.length === 0 ? l.nobodyElse : l.onWith(v.onWith.join(l.listSep)))}</p>` +
    (v.agent.paused
      ? v.agent.pausedReason === 'admin'
        ? `<p class="muted">${escapeHtml(l.adminPausedHelp)}</p>`
        : `<form method="post" action="${action('duty')}"><input type="hidden" name="duty" value="on"><button type="submit" data-action="duty-on">${escapeHtml(l.goOn)}</button></form>`
      : `<form method="post" action="${action('duty')}"><input type="hidden" name="duty" value="off"><button type="submit" class="off" data-action="duty-off">${escapeHtml(l.goOff)}</button></form>`) +
    '</section>';

  const callbacks =
    `<section id="callbacks"><h2>${escapeHtml(l.callbacks)} (${v.callbacks.length})</h2>` +
    (v.callbacks.length === 0
      ? `<p class="muted">${escapeHtml(l.none)}</p>`
      : '<ul>' +
        v.callbacks
          .map((c) => {
            const late = c.dueAt.getTime() <= v.now.getTime();
            return (
              `<li data-callback="${escapeHtml(c.id)}"><div class="row"><span>${escapeHtml(c.phone)}</span>` +
              `<span class="${late ? 'late' : 'muted'}">${escapeHtml(late ? l.overdue(at(c.dueAt)) : l.due(at(c.dueAt)))}</span></div>` +
              (c.status === 'attempted' ? `<div class="muted">${escapeHtml(l.tried)}</div>` : '') +
              `<form method="post" action="${action(`callbacks/${c.id}/dial`)}"><button type="submit" data-action="dial">${escapeHtml(c.inFlight ? l.dialAgain : l.dial)}</button></form></li>`
            );
          })
          .join('') +
        `</ul><p class="muted">${escapeHtml(l.dialHelp)}</p>`) +
    '</section>';

  const tickets =
    `<section id="tickets"><h2>${escapeHtml(l.tickets)} (${v.tickets.length})</h2>` +
    (v.tickets.length === 0
      ? `<p class="muted">${escapeHtml(l.noTickets)}</p>`
      : '<ul>' +
        v.tickets
          .map(
            (x) =>
              `<li data-ticket="${escapeHtml(x.id)}"><div class="row"><span>${escapeHtml(l.ticketKinds[x.kind] ?? x.kind)}${x.phone ? ` · ${escapeHtml(x.phone)}` : ''}</span>` +
              `<span class="${x.late ? 'late' : 'muted'}" data-due>${escapeHtml(x.late ? l.overdue(at(x.dueAt)) : l.due(at(x.dueAt)))}</span></div>` +
              (x.summary ? `<div>${escapeHtml(x.summary)}</div>` : '') +
              (x.canDial ? `<form method="post" action="${action(`tickets/${x.id}/dial`)}"><button type="submit" data-action="ticket-dial">${escapeHtml(l.dial)}</button></form>` : '') +
              '</li>',
          )
          .join('') +
        `</ul><p class="muted">${escapeHtml(l.ticketsHelp)}</p>`) +
    '</section>';

  const notes =
    `<section id="notes"><h2>${escapeHtml(l.notes)} (${v.notes.length})</h2>` +
    (v.notes.length === 0
      ? `<p class="muted">${escapeHtml(l.notesDone)}</p>`
      : '<ul>' +
        v.notes
          .map((n) => `<li class="row"><span>${escapeHtml(at(n.startedAt))} · ${escapeHtml(n.from)}</span><a href="${escapeHtml(n.url)}" data-action="write-up">${escapeHtml(l.writeUp)}</a></li>`)
          .join('') +
        '</ul>') +
    '</section>';

  const f = v.leaveForm ?? {};
  const leaveKinds = (['personal', 'sick', 'annual'] as const)
    .map((k) => `<option value="${k}"${f.kind === k ? ' selected' : ''}>${escapeHtml(l.leaveKinds[k])}</option>`)
    .join('');
  const subs = v.colleagues.map((c) => `<option value="${escapeHtml(c.id)}"${f.substituteAgentId === c.id ? ' selected' : ''}>${escapeHtml(c.name)}</option>`).join('');
  const leave =
    `<section id="leave"><h2>${escapeHtml(l.leave)}</h2>` +
    (v.leaves.length > 0
      ? '<ul>' +
        v.leaves.map((x) => `<li>${escapeHtml(`${l.leaveKinds[x.kind as 'annual'] ?? x.kind} ${at(x.start)} – ${at(x.end)} · ${l.substitute}: ${x.substitute}`)}</li>`).join('') +
        '</ul>'
      : '') +
    `<form method="post" action="${action('leave')}">` +
    `<label for="kind">${escapeHtml(l.leaveKind)}</label><select id="kind" name="kind">${leaveKinds}</select>` +
    `<label for="start">${escapeHtml(l.from)}</label><input id="start" name="start" type="datetime-local" required value="${escapeHtml(f.start ?? '')}">` +
    `<label for="end">${escapeHtml(l.to)}</label><input id="end" name="end" type="datetime-local" required value="${escapeHtml(f.end ?? '')}">` +
    `<label for="substituteAgentId">${escapeHtml(l.substitute)}</label><select id="substituteAgentId" name="substituteAgentId" required><option value="">-</option>${subs}</select>` +
    `<button type="submit" data-action="leave">${escapeHtml(l.askLeave)}</button></form>` +
    `<p class="muted">${escapeHtml(l.leaveHelp(v.timeZone))}</p></section>`;

  const unwaived = v.fines.filter((x) => !x.waived).reduce((s, x) => s + x.amount, 0);
  const fines =
    `<section id="fines"><h2>${escapeHtml(l.fines)}</h2>` +
    (v.fines.length === 0
      ? `<p class="muted">${escapeHtml(l.noFines)}</p>`
      : '<ul>' +
        v.fines.map((x) => `<li class="row" data-fine><span>${escapeHtml(at(x.lapsedAt))}</span><span>${escapeHtml(String(x.amount))}${x.waived ? ` · ${escapeHtml(l.waived)}` : ''}</span></li>`).join('') +
        `</ul><p data-fine-total="${unwaived}">${escapeHtml(l.fineTotal(unwaived))}</p>`) +
    '</section>';

  const g = v.figures;
  const figures =
    `<section id="figures"><h2>${escapeHtml(l.figures)}${g ? ` ${escapeHtml(g.month)}` : ''}</h2>` +
    (g
      ? '<dl>' +
        [
          [l.answerRate, `${percent(g.acceptRate)} (${g.offers})`, 'answerRate'],
          [l.calls, String(g.answered), 'calls'],
          [l.rating, g.averageRating === null ? '—' : `${g.averageRating.toFixed(2)} / 5 (${g.ratings})`, 'rating'],
          [l.onTime, g.callbacksOnTime + g.callbacksLate === 0 ? '—' : `${g.callbacksOnTime} / ${g.callbacksOnTime + g.callbacksLate}`, 'callbacksOnTime'],
          [l.grade, g.grade === null ? l.noGrade : `${g.grade} (${g.score})`, 'grade'],
        ]
          .map(([k, val, key]) => `<dt>${escapeHtml(k)}</dt><dd data-figure="${key}">${escapeHtml(val)}</dd>`)
          .join('') +
        `</dl><p class="muted">${escapeHtml(l.figuresHelp)}</p>`
      : `<p class="muted">${escapeHtml(l.noFigures)}</p>`) +
    '</section>';

  const other = lang === 'zh-CN' ? 'en-US' : 'zh-CN';
  const body =
    `<div class="row"><h1>${escapeHtml(v.agent.name)}</h1>` +
    `<form class="inline" method="post" action="${action('language')}"><input type="hidden" name="language" value="${other}"><button type="submit" class="small" data-action="language">${escapeHtml(l.otherLanguage)}</button></form></div>` +
    (v.notice ? `<p class="note" role="status">${escapeHtml(l.notices[v.notice])}</p>` : '') +
    (v.error ? `<p class="error" role="alert">${escapeHtml(v.error)}</p>` : '') +
    duty +
    callbacks +
    tickets +
    notes +
    leave +
    fines +
    figures;
  return layout(lang, l.title, body);
}
