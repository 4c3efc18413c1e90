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
