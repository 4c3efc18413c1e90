/**
 * Tickets (工单, issue 26): the store every ticket page and API reads and writes through.
 *
 * Two tables answer as one: `tickets` holds follow-ups, dispatches and return visits;
 * `complaint_cases` (0015) are the tickets of kind `complaint`, read in place so the complaint
 * machinery (src/complaints/) is untouched. A ticket id is either table's uuid.
 *
 * Interface (kept stable for the console and agent pages):
 *   create(t)                      open a ticket (kind follow-up/dispatch/return-visit, or a complaint case);
 *                                  a second create for the same call and kind answers the open one (created: false)
 *   list({kind,status,ownerAgentId,late,phone}, now)  newest first, at most 500
 *   get(id)                        with notes (progress), history (every event) and linked call ids
 *   addProgress(id, note)          a note; the first moves open -> in-progress ('closed' when it cannot)
 *   close(id, c)                   closes with a resolution (and fault class); opens the return visit a
 *                                  dispatch or complaint owes; 'already-closed' when it was
 *   linkCall(id, callId, by, at)   a call about the ticket (idempotent)
 *   openTicketsForPhone(phone)     the caller's tickets not closed: the ring card and the customer file
 *   ticketsForAgent(agentId)       the tickets an agent owns that are not closed: the agent's page
 * The sweep (src/tickets/ticket-desk.ts) claims reminders, alerts and chases, each exactly once.
 */
import { ticketIsLate, ticketStatusAsComplaint, type TicketKind } from '../domain/tickets';
import type { Db, Queryable } from './db';
import { complaintHistory, fromComplaint, s, toTicket, type NewTicket, type Row, type Ticket, type TicketClose, type TicketEvent, type TicketFigure, type TicketFilter } from './ticket-rows';

export type { NewTicket, Ticket, TicketAssignee, TicketClose, TicketEvent, TicketFigure, TicketFilter } from './ticket-rows';

const LIST_LIMIT = 500;

export class PostgresTicketStore {
  constructor(private readonly db: Db) {}

  /**
   * Opens a ticket. With a call, a second create of the same kind while the first is not closed
   * answers that one (created: false): a double tap on the phone page makes one ticket. A
   * complaint joins the caller's open case, as a complaint call does.
   */
  async create(t: NewTicket): Promise<{ ticket: Ticket; created: boolean }> {
    if (t.kind === 'complaint') return this.createComplaint(t);
    const id = await this.db.transaction(async (tx) => {
      if (t.callId) {
        const same = await tx.query<Row>(`SELECT id FROM tickets WHERE origin_call_id = $1 AND kind = $2 AND status <> 'closed'`, [t.callId, t.kind]);
        if (same[0]) return { id: String(same[0].id), created: false };
      }
      const rows = await tx.query<Row>(
        `INSERT INTO tickets (kind, phone, hotline_number, origin_call_id, owner_agent_id, assignee_name, assignee_mobile, assignee_channel,
           summary, opened_at, due_at, remind_at, next_chase_at, parent_ticket_id, parent_complaint_id, created_by)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)
         ON CONFLICT DO NOTHING RETURNING id`,
        [t.kind, t.phone, t.hotlineNumber, t.callId, t.ownerAgentId, t.assignee?.name ?? null, t.assignee?.mobile ?? null, t.assignee?.channel ?? null,
          t.summary, t.openedAt, t.dueAt, t.remindAt, t.nextChaseAt, t.parentTicketId ?? null, t.parentComplaintId ?? null, t.by],
      );
      // Lost a race for the same call (or the same parent's return visit): the other is the ticket.
      if (!rows[0]) return { id: await this.sameAs(tx, t), created: false };
      const ticketId = String(rows[0].id);
      await this.event(tx, ticketId, 'opened', t.summary, null, t.by, t.openedAt);
      if (t.callId) await tx.query('INSERT INTO ticket_calls (ticket_id, call_id, linked_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING', [ticketId, t.callId, t.openedAt]);
      return { id: ticketId, created: true };
    });
    return { ticket: (await this.get(id.id))!, created: id.created };
  }

  private async sameAs(tx: Queryable, t: NewTicket): Promise<string> {
    const rows = await tx.query<Row>(
      `SELECT id FROM tickets WHERE kind = $1 AND ((origin_call_id = $2 AND status <> 'closed') OR parent_ticket_id = $3 OR parent_complaint_id = $4) LIMIT 1`,
      [t.kind, t.callId, t.parentTicketId ?? null, t.parentComplaintId ?? null],
    );
    if (!rows[0]) throw new Error('ticket neither inserted nor found');
    return String(rows[0].id);
  }

  private async createComplaint(t: NewTicket): Promise<{ ticket: Ticket; created: boolean }> {
    const r = await this.db.transaction(async (tx) => {
      let caseId: string | null = null;
      let created = false;
      if (!t.withheld) {
        const open = await tx.query<Row>(`SELECT id FROM complaint_cases WHERE phone = $1 AND status <> 'closed' AND NOT withheld FOR UPDATE`, [t.phone]);
        caseId = open[0] ? String(open[0].id) : null;
      }
      if (!caseId) {
        const rows = await tx.query<Row>(
          `INSERT INTO complaint_cases (phone, hotline_number, withheld, owner_agent_id, opened_at, reply_due_at, remind_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING RETURNING id`,
          [t.phone, t.hotlineNumber, t.withheld ?? false, t.ownerAgentId, t.openedAt, t.dueAt, t.remindAt],
        );
        if (!rows[0]) throw new Error('complaint case opened concurrently');
        caseId = String(rows[0].id);
        created = true;
      }
      if (t.callId) {
        const added = await tx.query<Row>('INSERT INTO complaint_calls (call_id, case_id, added_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING RETURNING case_id', [t.callId, caseId, t.openedAt]);
        if (added[0] && !created) await tx.query('UPDATE complaint_cases SET weight = weight + 1 WHERE id = $1', [caseId]);
      }
      return { id: caseId, created };
    });
    return { ticket: (await this.get(r.id))!, created: r.created };
  }

  async get(id: string): Promise<Ticket | null> {
    const rows = await this.db.query<Row>('SELECT * FROM tickets WHERE id = $1', [id]);
    if (rows[0]) return (await this.withDetail([toTicket(rows[0])]))[0]!;
    const cases = await this.db.query<Row>('SELECT * FROM complaint_cases WHERE id = $1', [id]);
    return cases[0] ? (await this.withDetail([fromComplaint(cases[0])]))[0]! : null;
  }

  /** Newest first, both tables; `late` is judged at `now`. */
  async list(f: TicketFilter, now: Date): Promise<Ticket[]> {
    const status = f.status ?? null;
    const [tickets, cases] = await Promise.all([
      f.kind === 'complaint'
        ? []
        : this.db.query<Row>(
            `SELECT * FROM tickets WHERE ($1::text IS NULL OR kind = $1) AND ($2::text IS NULL OR status = $2)
               AND ($3::uuid IS NULL OR owner_agent_id = $3) AND ($4::text IS NULL OR phone = $4)
             ORDER BY opened_at DESC, id LIMIT ${LIST_LIMIT}`,
            [f.kind ?? null, status, f.ownerAgentId ?? null, f.phone ?? null],
          ),
      f.kind && f.kind !== 'complaint'
        ? []
        : this.db.query<Row>(
            `SELECT * FROM complaint_cases WHERE ($1::text IS NULL OR status = $1) AND ($2::uuid IS NULL OR owner_agent_id = $2)
               AND ($3::text IS NULL OR (phone = $3 AND NOT withheld))
             ORDER BY opened_at DESC, id LIMIT ${LIST_LIMIT}`,
            [status && ticketStatusAsComplaint(status), f.ownerAgentId ?? null, f.phone ?? null],
          ),
    ]);
    const all = [...tickets.map(toTicket), ...cases.map(fromComplaint)]
      .filter((t) => f.late === undefined || ticketIsLate(t, now) === f.late)
      .sort((a, b) => b.openedAt.getTime() - a.openedAt.getTime() || a.id.localeCompare(b.id))
      .slice(0, LIST_LIMIT);
    return this.withDetail(all);
  }

  /** The caller's tickets not closed, soonest due first: the ring card and the customer file show them. */
  async openTicketsForPhone(phone: string): Promise<Ticket[]> {
    // Each statement matches its table's partial index on open rows by phone (run as a call rings).
    const [tickets, cases] = await Promise.all([
      this.db.query<Row>(`SELECT * FROM tickets WHERE phone = $1 AND status <> 'closed' LIMIT ${LIST_LIMIT}`, [phone]),
      this.db.query<Row>(`SELECT * FROM complaint_cases WHERE phone = $1 AND status <> 'closed' AND NOT withheld`, [phone]),
    ]);
    const open = [...tickets.map(toTicket), ...cases.map(fromComplaint)].sort((a, b) => a.dueAt.getTime() - b.dueAt.getTime() || a.id.localeCompare(b.id));
    return this.withDetail(open);
  }

  /** The tickets an agent owns that are not closed, soonest due first: the agent's page. */
  async ticketsForAgent(agentId: string): Promise<Ticket[]> {
    const open = (await Promise.all([this.list({ ownerAgentId: agentId, status: 'open' }, new Date(0)), this.list({ ownerAgentId: agentId, status: 'in-progress' }, new Date(0))])).flat();
    return open.sort((a, b) => a.dueAt.getTime() - b.dueAt.getTime());
  }

  /** A progress note; the first moves an open ticket to in-progress (a complaint: stops its clock). 'closed' when the ticket is. */
  async addProgress(id: string, p: { note: string; channel: string; by: string; at: Date }): Promise<'added' | 'closed' | 'missing'> {
    return this.db.transaction(async (tx) => {
      const t = await tx.query<Row>('SELECT status FROM tickets WHERE id = $1 FOR UPDATE', [id]);
      if (t[0]) {
        if (t[0].status === 'closed') return 'closed';
        await this.event(tx, id, 'progress', p.note, p.channel, p.by, p.at);
        await tx.query(`UPDATE tickets SET status = 'in-progress' WHERE id = $1 AND status = 'open'`, [id]);
        return 'added';
      }
      const c = await tx.query<Row>('SELECT status FROM complaint_cases WHERE id = $1 FOR UPDATE', [id]);
      if (!c[0]) return 'missing';
      if (c[0].status === 'closed') return 'closed';
      await tx.query('INSERT INTO complaint_progress (case_id, note, channel, by_actor, at) VALUES ($1, $2, $3, $4, $5)', [id, p.note, p.channel, p.by, p.at]);
      await tx.query(`UPDATE complaint_cases SET status = 'replied', replied_at = $2 WHERE id = $1 AND status = 'open'`, [id, p.at]);
      return 'added';
    });
  }

  /**
   * Closes a ticket with its resolution, and in the same transaction opens the return visit a
   * dispatch or complaint owes (when `returnVisit` is given). 'already-closed' changes nothing.
   */
  async close(id: string, c: TicketClose): Promise<'closed' | 'already-closed' | 'missing'> {
    return this.db.transaction(async (tx) => {
      const t = await tx.query<Row>('SELECT * FROM tickets WHERE id = $1 FOR UPDATE', [id]);
      if (t[0]) {
        if (t[0].status === 'closed') return 'already-closed';
        await tx.query(`UPDATE tickets SET status = 'closed', closed_at = $2, closed_by = $3, resolution = $4, fault_class = $5, next_chase_at = NULL WHERE id = $1`, [id, c.at, c.by, c.resolution, c.faultClass]);
        await this.event(tx, id, 'closed', c.resolution, null, c.by, c.at);
        if (c.returnVisit && t[0].kind === 'dispatch') await this.openReturnVisit(tx, (await this.withCalls(tx, [toTicket(t[0])]))[0]!, c.returnVisit, c.at, { parentTicketId: id });
        return 'closed';
      }
      const k = await tx.query<Row>('SELECT * FROM complaint_cases WHERE id = $1 FOR UPDATE', [id]);
      if (!k[0]) return 'missing';
      if (k[0].status === 'closed') return 'already-closed';
      await tx.query(`UPDATE complaint_cases SET status = 'closed', closed_at = $2, closed_by = $3, resolution = $4, fault_class = $5 WHERE id = $1`, [id, c.at, c.by, c.resolution, c.faultClass]);
      if (c.returnVisit) await this.openReturnVisit(tx, (await this.withCalls(tx, [fromComplaint(k[0])]))[0]!, c.returnVisit, c.at, { parentComplaintId: id });
      return 'closed';
    });
  }

  /** The return visit of a resolved dispatch or complaint (at most one each: a unique index). */
  private async openReturnVisit(tx: Queryable, parent: Ticket, clock: { dueAt: Date; remindAt: Date }, at: Date, link: { parentTicketId?: string; parentComplaintId?: string }): Promise<string | null> {
    const summary = `Return visit: was it resolved? (${parent.kind} ${parent.id.slice(0, 8)})`;
    const rows = await tx.query<Row>(
      `INSERT INTO tickets (kind, phone, hotline_number, owner_agent_id, summary, opened_at, due_at, remind_at, parent_ticket_id, parent_complaint_id, created_by)
       VALUES ('return-visit', $1, $2, $3, $4, $5, $6, $7, $8, $9, 'system') ON CONFLICT DO NOTHING RETURNING id`,
      [parent.phone, parent.hotlineNumber, parent.ownerAgentId, summary, at, clock.dueAt, clock.remindAt, link.parentTicketId ?? null, link.parentComplaintId ?? null],
    );
    if (link.parentComplaintId) await tx.query('UPDATE complaint_cases SET return_visit_owed = false WHERE id = $1', [link.parentComplaintId]);
    if (!rows[0]) return null;
    const rid = String(rows[0].id);
    await this.event(tx, rid, 'opened', summary, null, 'system', at);
    for (const call of parent.callIds) await tx.query('INSERT INTO ticket_calls (ticket_id, call_id, linked_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING', [rid, call, at]);
    return rid;
  }

  /**
   * The safety net for return visits: complaint cases closed through /api/complaints get theirs.
   * Cases closed before tickets existed owe none.
   */
  async openOwedReturnVisits(clockOf: (closedAt: Date) => { dueAt: Date; remindAt: Date }, limit = 100): Promise<number> {
    // A dispatch opens its return visit in the transaction that closes it: only complaint cases
    // (closed through /api/complaints too) can be owed one.
    const owed = await this.db.query<Row>(
      `SELECT 'complaint' AS src, k.id, k.closed_at FROM complaint_cases k
        WHERE k.status = 'closed' AND k.return_visit_owed ORDER BY k.closed_at LIMIT $1`,
      [limit],
    );
    let opened = 0;
    for (const o of owed) {
      const id = String(o.id);
      const done = await this.db.transaction(async (tx) => {
        const parent = o.src === 'complaint'
          ? (await tx.query<Row>('SELECT * FROM complaint_cases WHERE id = $1', [id])).map(fromComplaint)
          : (await tx.query<Row>('SELECT * FROM tickets WHERE id = $1', [id])).map(toTicket);
        const [p] = await this.withCalls(tx, parent);
        return this.openReturnVisit(tx, p!, clockOf(o.closed_at as Date), o.closed_at as Date, o.src === 'complaint' ? { parentComplaintId: id } : { parentTicketId: id });
      });
      if (done) opened++;
    }
    return opened;
  }

  /** A call about the ticket; true when newly linked. */
  async linkCall(id: string, callId: string, by: string, at: Date): Promise<boolean> {
    return this.db.transaction(async (tx) => {
      const t = await tx.query<Row>('SELECT id FROM tickets WHERE id = $1', [id]);
      if (!t[0]) {
        // A complaint's calls are its case's (complaint_calls): a linked call joins it, as a repeat does.
        const rows = await tx.query<Row>('INSERT INTO complaint_calls (call_id, case_id, added_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING RETURNING case_id', [callId, id, at]);
        return rows.length > 0;
      }
      const rows = await tx.query<Row>('INSERT INTO ticket_calls (ticket_id, call_id, linked_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING RETURNING call_id', [id, callId, at]);
      if (rows[0]) await this.event(tx, id, 'call-linked', callId, null, by, at);
      return rows.length > 0;
    });
  }

  /** The hotline number a ticket's notices go out from: the customer's last call's, else the first hotline's. */
  async hotlineFor(phone: string | null): Promise<string | null> {
    const rows = await this.db.query<Row>(
      `SELECT n FROM (SELECT to_number AS n, 0 AS o, started_at AS at FROM calls WHERE from_number = $1
                      UNION ALL SELECT number, 1, created_at FROM hotlines) x ORDER BY o, at DESC LIMIT 1`,
      [phone],
    );
    return rows[0] ? String(rows[0].n) : null;
  }

  /** The open callback (src/callbacks/) for a phone, if any: a follow-up's call back rides on it. */
  async openCallbackFor(phone: string): Promise<string | null> {
    const rows = await this.db.query<Row>(`SELECT id FROM callbacks WHERE phone = $1 AND status IN ('open', 'attempted')`, [phone]);
    return rows[0] ? String(rows[0].id) : null;
  }

  /** A line in a ticket's history (not a complaint's: its history is its own tables). */
  async recordEvent(id: string, event: string, note: string | null, by: string, at: Date): Promise<void> {
    await this.event(this.db, id, event, note, null, by, at);
  }

  /** Claims the owner reminders that are due (each exactly once: reminded_at is set as it is claimed). Complaints are the complaint desk's. */
  async claimReminders(now: Date): Promise<Ticket[]> {
    return this.claim('reminded_at', 'remind_at', now);
  }

  /** Claims the tickets past due and not closed (each alerted exactly once). */
  async claimAlerts(now: Date): Promise<Ticket[]> {
    return this.claim('alerted_at', 'due_at', now);
  }

  private async claim(mark: 'reminded_at' | 'alerted_at', due: 'remind_at' | 'due_at', now: Date): Promise<Ticket[]> {
    const rows = await this.db.query<Row>(
      `UPDATE tickets SET ${mark} = $1
       WHERE id IN (SELECT id FROM tickets WHERE status <> 'closed' AND ${mark} IS NULL AND ${due} <= $1
                    ORDER BY ${due} LIMIT 100 FOR UPDATE SKIP LOCKED)
       RETURNING *`,
      [now],
    );
    return rows.map(toTicket);
  }

  /** A claim whose message could not be sent is given back, for the next pass. */
  async unclaim(id: string, mark: 'reminder' | 'alert'): Promise<void> {
    await this.db.query(`UPDATE tickets SET ${mark === 'reminder' ? 'reminded_at' : 'alerted_at'} = NULL WHERE id = $1`, [id]);
  }

  /** Claims the dispatches whose weekly chase is due, moving each to `next(now)` (a failed send gives it back with unclaimChase). */
  async claimChases(now: Date, next: Date): Promise<Ticket[]> {
    const rows = await this.db.query<Row>(
      `UPDATE tickets SET next_chase_at = $2, chases = chases + 1
       WHERE id IN (SELECT id FROM tickets WHERE kind = 'dispatch' AND status <> 'closed' AND next_chase_at <= $1
                    ORDER BY next_chase_at LIMIT 100 FOR UPDATE SKIP LOCKED)
       RETURNING *`,
      [now, next],
    );
    return rows.map(toTicket);
  }

  async unclaimChase(id: string, at: Date): Promise<void> {
    await this.db.query(`UPDATE tickets SET next_chase_at = $2, chases = chases - 1 WHERE id = $1 AND status <> 'closed'`, [id, at]);
  }

  /** A follow-up's call placed through the hotline (a callback of src/callbacks/ carries it). */
  async addDial(id: string, callbackId: string, at: Date): Promise<void> {
    await this.db.query('INSERT INTO ticket_dials (ticket_id, callback_id, placed_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING', [id, callbackId, at]);
  }

  /** Open tickets whose call through the hotline reached the customer (its callback is done): closed by the sweep. */
  async dialledAndAnswered(): Promise<{ ticketId: string; callbackId: string; doneAt: Date }[]> {
    const rows = await this.db.query<Row>(
      `SELECT d.ticket_id, d.callback_id, cb.done_at FROM ticket_dials d JOIN tickets t ON t.id = d.ticket_id JOIN callbacks cb ON cb.id = d.callback_id
        WHERE t.status <> 'closed' AND cb.status = 'done' ORDER BY cb.done_at LIMIT 100`,
    );
    return rows.map((r) => ({ ticketId: String(r.ticket_id), callbackId: String(r.callback_id), doneAt: r.done_at as Date }));
  }

  /** Per owner and kind, the tickets opened in [from, to): how many, their weight, on time, late, still open. */
  async figures(from: Date, to: Date, now: Date): Promise<TicketFigure[]> {
    const rows = await this.db.query<Row>(
      `SELECT owner_agent_id, kind, COUNT(*) AS tickets, SUM(weight) AS weight,
         COUNT(*) FILTER (WHERE stopped_at IS NOT NULL AND stopped_at <= due_at) AS on_time,
         COUNT(*) FILTER (WHERE (stopped_at IS NOT NULL AND stopped_at > due_at) OR (stopped_at IS NULL AND due_at <= $3)) AS late,
         COUNT(*) FILTER (WHERE closed_at IS NULL) AS open,
         COALESCE(SUM(weight) FILTER (WHERE closed_at IS NOT NULL AND stopped_at <= due_at), 0) AS weight_ok
       FROM (
         SELECT owner_agent_id, kind, 1 AS weight, due_at, closed_at, closed_at AS stopped_at FROM tickets WHERE opened_at >= $1 AND opened_at < $2
         UNION ALL
         SELECT owner_agent_id, 'complaint', weight, reply_due_at, closed_at, COALESCE(replied_at, closed_at) FROM complaint_cases WHERE opened_at >= $1 AND opened_at < $2
       ) t
       GROUP BY owner_agent_id, kind ORDER BY owner_agent_id, kind`,
      [from, to, now],
    );
    return rows.map((r) => ({
      agentId: s(r.owner_agent_id),
      kind: r.kind as TicketKind,
      tickets: Number(r.tickets),
      weight: Number(r.weight),
      onTime: Number(r.on_time),
      late: Number(r.late),
      open: Number(r.open),
      weightResolvedOnTime: Number(r.weight_ok),
    }));
  }

  private async event(q: Queryable, id: string, event: string, note: string | null, channel: string | null, by: string, at: Date): Promise<void> {
    await q.query('INSERT INTO ticket_events (ticket_id, event, note, channel, by_actor, at) VALUES ($1, $2, $3, $4, $5, $6)', [id, event, note, channel, by, at]);
  }

  private async withCalls(q: Queryable, list: Ticket[]): Promise<Ticket[]> {
    if (list.length === 0) return list;
    const ids = list.map((t) => t.id);
    const rows = await q.query<Row>(
      `SELECT x.owner_id, x.call_id FROM (
         SELECT ticket_id AS owner_id, call_id FROM ticket_calls WHERE ticket_id = ANY($1::uuid[])
         UNION ALL SELECT case_id, call_id FROM complaint_calls WHERE case_id = ANY($1::uuid[])
       ) x JOIN calls c ON c.id = x.call_id ORDER BY c.started_at, c.id`,
      [ids],
    );
    const byId = new Map(list.map((t) => [t.id, t]));
    for (const r of rows) byId.get(String(r.owner_id))?.callIds.push(String(r.call_id));
    return list;
  }

  private async withDetail(list: Ticket[]): Promise<Ticket[]> {
    if (list.length === 0) return list;
    await this.withCalls(this.db, list);
    const ticketIds = list.filter((t) => t.kind !== 'complaint').map((t) => t.id);
    const caseIds = list.filter((t) => t.kind === 'complaint').map((t) => t.id);
    const [events, progress] = await Promise.all([
      ticketIds.length ? this.db.query<Row>('SELECT * FROM ticket_events WHERE ticket_id = ANY($1::uuid[]) ORDER BY at, id', [ticketIds]) : [],
      caseIds.length ? this.db.query<Row>('SELECT * FROM complaint_progress WHERE case_id = ANY($1::uuid[]) ORDER BY at, id', [caseIds]) : [],
    ]);
    const byId = new Map(list.map((t) => [t.id, t]));
    for (const r of events) {
      const t = byId.get(String(r.ticket_id));
      if (!t) continue;
      const e: TicketEvent = { event: String(r.event), note: s(r.note), channel: s(r.channel), by: String(r.by_actor), at: r.at as Date };
      t.history.push(e);
      if (e.event === 'progress') {
        t.notes.push(e);
        t.repliedAt ??= e.at;
      }
    }
    for (const r of progress) {
      const t = byId.get(String(r.case_id));
      if (!t) continue;
      t.notes.push({ event: 'progress', note: String(r.note), channel: String(r.channel), by: String(r.by_actor), at: r.at as Date });
    }
    for (const t of list) if (t.kind === 'complaint') t.history = complaintHistory(t);
    return list;
  }
}
