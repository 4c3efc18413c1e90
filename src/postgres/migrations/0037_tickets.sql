-- Tickets (工单, issue 26): every promise made on a call, tracked to its end. Kinds:
--   follow-up     the agent promised to find out and call back by a time agreed with the customer
--   dispatch      passed to a named assignee outside the hotline team, chased weekly until done
--   return-visit  opened when a dispatch or a complaint is resolved: was the customer satisfied?
--   complaint     the complaint cases of 0015, left where they are: the ticket store reads
--                 complaint_cases as tickets of this kind (their ids are the tickets' ids)
-- status: open -> in-progress (a first progress note) -> closed (with a resolution)

CREATE TABLE tickets (
  id                uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  kind              text NOT NULL CHECK (kind IN ('follow-up', 'dispatch', 'return-visit')),
  status            text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'in-progress', 'closed')),
  -- the customer; null for a ticket about no one caller (a dispatch opened from the console)
  phone             text,
  -- the hotline number the customer called: reminders and the dial go out from it
  hotline_number    text,
  -- the call it was promised on (also in ticket_calls): a second create for it is the same ticket
  origin_call_id    uuid REFERENCES calls (id),
  owner_agent_id    uuid REFERENCES agents (id),
  -- a dispatch's assignee, outside the hotline team: a name, and a mobile or a notify channel
  assignee_name     text,
  assignee_mobile   text,
  assignee_channel  text,
  summary           text NOT NULL,
  opened_at         timestamptz NOT NULL,
  due_at            timestamptz NOT NULL,
  remind_at         timestamptz NOT NULL,
  closed_at         timestamptz,
  closed_by         text,
  resolution        text,
  -- a dispatch's or return visit's fault class, as a complaint's (company / not-company)
  fault_class       text CHECK (fault_class IN ('company', 'not-company')),
  -- set once each: the owner's reminder and the admins' alert are sent exactly once
  reminded_at       timestamptz,
  alerted_at        timestamptz,
  -- a dispatch's next weekly chase of its assignee, and how many were sent
  next_chase_at     timestamptz,
  chases            integer NOT NULL DEFAULT 0,
  -- what a return visit follows: a resolved dispatch, or a closed complaint case
  parent_ticket_id  uuid REFERENCES tickets (id),
  parent_complaint_id uuid REFERENCES complaint_cases (id),
  created_by        text NOT NULL
);
CREATE UNIQUE INDEX tickets_one_per_call_kind ON tickets (origin_call_id, kind) WHERE origin_call_id IS NOT NULL AND status <> 'closed';
CREATE UNIQUE INDEX tickets_return_visit_of_ticket ON tickets (parent_ticket_id) WHERE kind = 'return-visit' AND parent_ticket_id IS NOT NULL;
CREATE UNIQUE INDEX tickets_return_visit_of_complaint ON tickets (parent_complaint_id) WHERE kind = 'return-visit' AND parent_complaint_id IS NOT NULL;
CREATE INDEX tickets_open_due ON tickets (due_at) WHERE status <> 'closed';
-- The sweep's claims (PostgresTicketStore.claimReminders, claimAlerts): only what is still to send.
CREATE INDEX tickets_remind ON tickets (remind_at) WHERE status <> 'closed' AND reminded_at IS NULL;
CREATE INDEX tickets_alert ON tickets (due_at) WHERE status <> 'closed' AND alerted_at IS NULL;
CREATE INDEX tickets_chase ON tickets (next_chase_at) WHERE kind = 'dispatch' AND status <> 'closed';
CREATE INDEX tickets_phone_open ON tickets (phone) WHERE status <> 'closed';
CREATE INDEX tickets_owner ON tickets (owner_agent_id, opened_at DESC);

-- The calls a ticket is about: the one it was promised on, the customer's later calls, the call back.
CREATE TABLE ticket_calls (
  ticket_id  uuid NOT NULL REFERENCES tickets (id),
  call_id    uuid NOT NULL REFERENCES calls (id),
  linked_at  timestamptz NOT NULL,
  PRIMARY KEY (ticket_id, call_id)
);
CREATE INDEX ticket_calls_call ON ticket_calls (call_id);

-- Who did what, in order: opened, progress (a note, its channel), reminded, alerted, chased,
-- call-linked, dialled, closed. A progress event is a note; all of them are the history.
CREATE TABLE ticket_events (
  id          bigserial PRIMARY KEY,
  ticket_id   uuid NOT NULL REFERENCES tickets (id),
  event       text NOT NULL,
  note        text,
  channel     text,
  by_actor    text NOT NULL,
  at          timestamptz NOT NULL
);
CREATE INDEX ticket_events_ticket ON ticket_events (ticket_id, at, id);

-- A follow-up closed by a call placed through the hotline: the callback (src/callbacks/) that
-- carried the call; once it is done (the customer answered), the ticket closes.
CREATE TABLE ticket_dials (
  ticket_id    uuid NOT NULL REFERENCES tickets (id),
  callback_id  uuid NOT NULL REFERENCES callbacks (id),
  placed_at    timestamptz NOT NULL,
  PRIMARY KEY (ticket_id, callback_id)
);

-- Complaint cases are the complaint tickets: closing one through /api/tickets records its fault class.
ALTER TABLE complaint_cases ADD COLUMN fault_class text CHECK (fault_class IN ('company', 'not-company'));
-- Cases closed before tickets existed get no return visit; every case opened from now on does
-- (the column's default turns true once the existing rows are filled with false).
ALTER TABLE complaint_cases ADD COLUMN return_visit_owed boolean NOT NULL DEFAULT false;
ALTER TABLE complaint_cases ALTER COLUMN return_visit_owed SET DEFAULT true;
-- Cleared as the return visit opens: the sweep's safety net reads only the cases still owed one.
CREATE INDEX complaint_cases_return_visit_owed ON complaint_cases (closed_at) WHERE status = 'closed' AND return_visit_owed;
