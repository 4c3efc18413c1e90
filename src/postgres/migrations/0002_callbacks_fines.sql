-- Callbacks for unanswered callers, every attempt to return the call, the scheduler's jobs, and the fines ledger.

-- status: open -> attempted -> done | unreachable ; open | attempted -> closed (the caller got through on their own)
-- deadline_window: day (R3, finable) | night (R4, flagged past 24 h, never fined)
CREATE TABLE callbacks (
  id                  uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  phone               text NOT NULL,
  hotline_number      text NOT NULL,
  status              text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'attempted', 'done', 'unreachable', 'closed')),
  deadline_window     text NOT NULL CHECK (deadline_window IN ('day', 'night')),
  owner_agent_id      uuid REFERENCES agents (id),
  requested_by_caller boolean NOT NULL DEFAULT false,
  first_call_at       timestamptz NOT NULL,
  waited_seconds      double precision,
  created_at          timestamptz NOT NULL,
  due_at              timestamptz NOT NULL,
  first_attempt_at    timestamptz,
  failed_attempts     integer NOT NULL DEFAULT 0,
  done_at             timestamptz,
  closed_at           timestamptz,
  closed_by_call_id   uuid REFERENCES calls (id),
  lapsed_at           timestamptz,
  r4_breached_at      timestamptz,
  recording_sid       text,
  recording_url       text,
  recording_seconds   integer,
  updated_at          timestamptz NOT NULL
);
-- One open callback per caller number: a later miss joins it instead of opening another.
CREATE UNIQUE INDEX callbacks_one_open_per_phone ON callbacks (phone) WHERE status IN ('open', 'attempted');
CREATE INDEX callbacks_status_created ON callbacks (status, created_at DESC);
CREATE INDEX callbacks_owner ON callbacks (owner_agent_id, due_at);

-- The hotline calls a callback answers for; a call belongs to at most one callback.
CREATE TABLE callback_calls (
  callback_id  uuid NOT NULL REFERENCES callbacks (id),
  call_id      uuid NOT NULL UNIQUE REFERENCES calls (id),
  joined_at    timestamptz NOT NULL,
  PRIMARY KEY (callback_id, call_id)
);

-- One try at returning the call: the owner's phone first, then (after their 1) the customer.
-- outcome: connected | owner-declined | owner-no-answer | owner-busy | owner-failed | owner-canceled
--          | customer-no-answer | customer-busy | customer-failed | customer-canceled | not-placed
CREATE TABLE callback_attempts (
  id                    uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  callback_id           uuid NOT NULL REFERENCES callbacks (id),
  seq                   integer NOT NULL,
  agent_id              uuid NOT NULL REFERENCES agents (id),
  placed_via            text NOT NULL,
  owner_call_sid        text UNIQUE,
  customer_call_sid     text,
  placed_at             timestamptz NOT NULL,
  owner_answered_at     timestamptz,
  customer_dialled_at   timestamptz,
  customer_answered_at  timestamptz,
  outcome               text,
  finished_at           timestamptz,
  UNIQUE (callback_id, seq)
);

-- Status callbacks of both legs of a callback attempt, as Twilio sent them; repeats are no-ops.
CREATE TABLE callback_leg_events (
  call_sid         text NOT NULL,
  call_status      text NOT NULL,
  attempt_id       uuid NOT NULL REFERENCES callback_attempts (id),
  leg              text NOT NULL CHECK (leg IN ('owner', 'customer')),
  sequence_number  integer,
  event_at         timestamptz NOT NULL,
  received_at      timestamptz NOT NULL,
  duration_seconds integer,
  PRIMARY KEY (call_sid, call_status)
);

-- The scheduler's work, kept in the database so it survives restarts and runs once across instances.
-- kind: notify (SMS the owner) | remind (SMS 30 min before the deadline) | deadline (alert, fine) | r4 (24 h check)
-- status: pending -> running -> done | skipped | failed ; a running job whose lease ran out is taken again
CREATE TABLE callback_jobs (
  id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  callback_id   uuid NOT NULL REFERENCES callbacks (id),
  kind          text NOT NULL CHECK (kind IN ('notify', 'remind', 'deadline', 'r4')),
  run_at        timestamptz NOT NULL,
  status        text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'running', 'done', 'skipped', 'failed')),
  runs          integer NOT NULL DEFAULT 0,
  lease_until   timestamptz,
  result        text,
  finished_at   timestamptz,
  UNIQUE (callback_id, kind)
);
CREATE INDEX callback_jobs_due ON callback_jobs (status, run_at);

-- The fines ledger (R3). Never deleted: a waiver is recorded beside the fine.
CREATE TABLE fines (
  id             uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  agent_id       uuid NOT NULL REFERENCES agents (id),
  callback_id    uuid NOT NULL UNIQUE REFERENCES callbacks (id),
  period         text NOT NULL,
  ordinal        integer NOT NULL,
  amount         integer NOT NULL,
  lapsed_at      timestamptz NOT NULL,
  created_at     timestamptz NOT NULL,
  waived_at      timestamptz,
  waived_reason  text,
  UNIQUE (agent_id, period, ordinal)
);
CREATE INDEX fines_period ON fines (period, agent_id);
