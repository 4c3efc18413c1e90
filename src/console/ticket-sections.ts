import { ticketIsLate } from '../domain/tickets';
import { PostgresTicketStore, type Ticket } from '../postgres/ticket-store';
import type { ConsoleDeps } from './console-deps';
import { html } from './html';
import { t } from './i18n';
import { label, localTime } from './layout';
import type { Viewer } from './session';

/** Whether the tickets feature runs beside the console (its table is there either way, once migrated). */
const ticketsOn = (d: ConsoleDeps) => d.c.features.some((f) => f.name === 'tickets');

/** A caller's open tickets, soonest due first, for the customer file and a call's page; nothing when tickets are off. */
export async function openTicketsSection(d: ConsoleDeps, v: Viewer, phone: string | null | undefined) {
  if (!phone || !ticketsOn(d)) return html``;
  const l = v.lang;
  const now = d.c.clock.now();
  const open = await new PostgresTicketStore(d.c.db).openTicketsForPhone(phone);
  return html`<section class="card" data-open-tickets="${open.length}"><h2>${t(l, 'openTickets')}</h2>${
    open.length === 0 ? html`<p class="muted">${t(l, 'none')}</p>` : html`<ul class="rows">${open.map((x) => ticketRow(v, x, now, d.timeZone))}</ul>`
  }</section>`;
}

const ticketRow = (v: Viewer, x: Ticket, now: Date, tz: string) =>
  html`<li data-ticket="${x.id}"><div><a href="/console/tickets/${x.id}">${label(v.lang, 'ticketKind', x.kind)} · ${x.summary ?? label(v.lang, 'ticketStatus', x.status)}</a>
    · ${t(v.lang, 'due')} ${localTime(x.dueAt, tz, 'MM-dd HH:mm')}${ticketIsLate(x, now) ? html` <span class="pill late">${t(v.lang, 'ticketLate')}</span>` : ''}</div></li>`;

/** The weekly summary's tickets (工单) opened in the week, per owner and kind: on time, late, still open, the on-time rate. */
export function weeklyTicketsTable(
  l: Viewer['lang'],
  rows: readonly { agentId: string | null; name: string | null; kind: string; tickets: number; onTime: number; late: number; open: number; onTimeRate: number | null }[],
) {
  return html`<h2>${t(l, 'weeklyTickets')}</h2>${
    rows.length === 0
      ? html`<p class="muted">${t(l, 'none')}</p>`
      : html`<div class="scroll"><table data-weekly-tickets><thead><tr><th>${t(l, 'owner')}</th><th>${t(l, 'ticketKind')}</th><th>${t(l, 'tickets')}</th><th>${t(l, 'ticketsOnTime')}</th>
          <th>${t(l, 'ticketLate')}</th><th>${t(l, 'ticketsStillOpen')}</th><th>${t(l, 'rate')}</th></tr></thead><tbody>${rows.map(
            (r) => html`<tr data-ticket-figure="${r.agentId ?? ''}:${r.kind}"><td>${r.name ?? '—'}</td><td>${label(l, 'ticketKind', r.kind)}</td><td>${r.tickets}</td><td>${r.onTime}</td><td>${r.late}</td><td>${r.open}</td>
              <td>${r.onTimeRate === null ? '—' : `${(r.onTimeRate * 100).toFixed(1)}%`}</td></tr>`,
          )}</tbody></table></div>`
  }`;
}
