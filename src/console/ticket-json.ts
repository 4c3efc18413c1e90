import type { Request, Response } from 'express';
import type { ApiBridge } from './api-bridge';
import type { Viewer } from './session';

export { FAULT_CLASSES, PROGRESS_CHANNELS, TICKET_KINDS, TICKET_STATUSES } from '../domain/tickets';

/** One entry of a ticket's history: who did what, when (a progress note carries its text and channel). */
export interface TicketEventJson {
  event: string;
  note: string | null;
  channel: string | null;
  by: string;
  at: string;
}

/** A ticket as the pages read it from the tickets API (GET /api/tickets, /api/tickets/:id). */
export interface TicketJson {
  id: string;
  kind: string;
  status: string;
  phone: string | null;
  summary: string;
  ownerAgentId: string | null;
  assignee: string | null;
  dueAt: string | null;
  openedAt: string | null;
  closedAt: string | null;
  closedBy: string | null;
  resolution: string | null;
  faultClass: string | null;
  late: boolean;
  callIds: string[];
  events: TicketEventJson[];
  lastFollowUpAt: string | null;
  nextFollowUpAt: string | null;
}

type Raw = Record<string, unknown>;
const str = (v: unknown): string | null => (typeof v === 'string' ? v : null);

/** The API's ticket, as the pages use it. */
export function toTicketJson(r: Raw): TicketJson {
  const assignee = r.assignee;
  const events = (Array.isArray(r.events) ? r.events : Array.isArray(r.history) ? r.history : []) as Raw[];
  return {
    id: String(r.id),
    kind: String(r.kind),
    status: String(r.status),
    phone: str(r.phone),
    summary: str(r.summary) ?? '',
    ownerAgentId: str(r.ownerAgentId),
    assignee: typeof assignee === 'string' ? assignee : assignee && typeof assignee === 'object' ? str((assignee as Raw).name) : str(r.assigneeName),
    dueAt: str(r.dueAt),
    openedAt: str(r.openedAt),
    closedAt: str(r.closedAt),
    closedBy: str(r.closedBy),
    resolution: str(r.resolution),
    faultClass: str(r.faultClass),
    late: r.late === true,
    callIds: Array.isArray(r.callIds) ? r.callIds.map(String) : [],
    events: events.map((e) => ({ event: String(e.event ?? e.action ?? ''), note: str(e.note), channel: str(e.channel), by: String(e.by ?? e.byActor ?? ''), at: String(e.at) })),
    // The last time the assignee was told (the hand-over, a weekly chase) or progress noted: the weekly follow-up's last one.
    lastFollowUpAt: events.filter((e) => e.event === 'handed-over' || e.event === 'chased' || e.event === 'progress').map((e) => String(e.at)).sort().at(-1) ?? null,
    nextFollowUpAt: str(r.nextChaseAt) ?? str(r.nextFollowUpAt),
  };
}

/** GET through the tickets API (in-process), each ticket read as the pages use it. */
export async function ticketsOfApi(api: ApiBridge, req: Request, res: Response, v: Viewer, url: string): Promise<TicketJson[]> {
  const answer = await api.run(req, res, v, 'GET', url);
  return ((answer.body as { tickets?: Raw[] }).tickets ?? []).map(toTicketJson);
}

export async function ticketOfApi(api: ApiBridge, req: Request, res: Response, v: Viewer, id: string): Promise<TicketJson> {
  return toTicketJson((await api.run(req, res, v, 'GET', `/tickets/${encodeURIComponent(id)}`)).body as Raw);
}
