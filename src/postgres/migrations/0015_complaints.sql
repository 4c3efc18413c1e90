-- Complaint cases (R11): a call typed 'complaint' opens a case owned by the agent who answered,
-- with a progress-reply deadline; a complaint from the same caller while their case is open
-- joins it and adds to its weight.

-- status: open (no progress reply yet) -> replied (the clock stopped) -> closed (with a resolution)
CREATE TABLE complaint_cases (
  id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  phone           text NOT NULL,
  -- the hotline number the complaint came in on: reminders and alerts are sent from it
  hotline_number  text NOT NULL,
  -- a withheld caller ID is shared by every hidden caller: such a case is joined by nobody
  withheld        boolean NOT NULL DEFAULT false,
  owner_agent_id  uuid REFERENCES agents (id),
  status          text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'replied', 'closed')),
  weight          integer NOT NULL DEFAULT 1,
  opened_at       timestamptz NOT NULL,
  reply_due_at    timestamptz NOT NULL,
  remind_at       timestamptz NOT NULL,
  replied_at      timestamptz,
  closed_at       timestamptz,
  closed_by       text,
  resolution      text,
  -- set once each: the owner's reminder and the admins' alert are sent exactly once
  reminded_at     timestamptz,
  alerted_at      timestamptz
);
CREATE UNIQUE INDEX complaint_cases_open_phone ON complaint_cases (phone) WHERE status <> 'closed' AND NOT withheld;
CREATE INDEX complaint_cases_due ON complaint_cases (reply_due_at) WHERE status = 'open';

CREATE TABLE complaint_calls (
  call_id    uuid PRIMARY KEY REFERENCES calls (id),
  case_id    uuid NOT NULL REFERENCES complaint_cases (id),
  added_at   timestamptz NOT NULL
);
CREATE INDEX complaint_calls_case ON complaint_calls (case_id);

-- channel: call (placed through the hotline) | sms
CREATE TABLE complaint_progress (
  id         bigserial PRIMARY KEY,
  case_id    uuid NOT NULL REFERENCES complaint_cases (id),
  note       text NOT NULL,
  channel    text NOT NULL CHECK (channel IN ('call', 'sms')),
  by_actor   text NOT NULL,
  at         timestamptz NOT NULL
);
CREATE INDEX complaint_progress_case ON complaint_progress (case_id, at);
