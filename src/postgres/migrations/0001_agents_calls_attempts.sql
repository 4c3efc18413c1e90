-- Agents, the hotline calls, every ring attempt and every status event Twilio reported.

CREATE TABLE agents (
  id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  name        text NOT NULL,
  phone       text NOT NULL,
  active      boolean NOT NULL DEFAULT true,
  paused      boolean NOT NULL DEFAULT false,
  position    integer NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now(),
  updated_at  timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX agents_active_phone ON agents (phone) WHERE active;

-- Monotonic counters; 'rotation' gives each call the offset at which its hunt starts (embedded mode).
CREATE TABLE counters (
  name   text PRIMARY KEY,
  value  bigint NOT NULL
);

-- state: hunting -> connected -> ended   (or hunting -> ended)
-- outcome (set when ended): answered | missed | abandoned
CREATE TABLE calls (
  id                   uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  call_sid             text NOT NULL UNIQUE,
  from_number          text NOT NULL,
  to_number            text NOT NULL,
  caller_name          text,
  started_at           timestamptz NOT NULL,
  rotation_offset      bigint NOT NULL,
  state                text NOT NULL DEFAULT 'hunting' CHECK (state IN ('hunting', 'connected', 'ended')),
  outcome              text CHECK (outcome IN ('answered', 'missed', 'abandoned')),
  missed_reason        text,
  answered_by_agent_id uuid REFERENCES agents (id),
  accepted_at          timestamptz,
  wait_seconds         double precision,
  within_answer_rule   boolean,
  ended_at             timestamptz,
  talk_seconds         double precision,
  ended_by             text,
  created_at           timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX calls_started ON calls (started_at DESC, id DESC);
CREATE INDEX calls_from_number ON calls (from_number, started_at DESC);

-- outcome: accepted | no-answer | busy | failed | rejected-by-screen | caller-gone
CREATE TABLE ring_attempts (
  id                  uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  call_id             uuid NOT NULL REFERENCES calls (id),
  seq                 integer NOT NULL,
  agent_id            uuid NOT NULL REFERENCES agents (id),
  endpoint            text NOT NULL,
  child_call_sid      text,
  offered_at          timestamptz NOT NULL,
  initiated_at        timestamptz,
  ringing_at          timestamptz,
  answered_at         timestamptz,
  screened_at         timestamptz,
  accepted_at         timestamptz,
  ring_seconds        double precision,
  outcome             text,
  dial_call_status    text,
  finished_at         timestamptz,
  UNIQUE (call_id, seq)
);
CREATE INDEX ring_attempts_agent ON ring_attempts (agent_id, offered_at);
CREATE INDEX ring_attempts_child ON ring_attempts (child_call_sid);

-- Agent-leg status callbacks as Twilio sent them; (child call, SequenceNumber) makes repeats no-ops.
CREATE TABLE leg_events (
  child_call_sid   text NOT NULL,
  sequence_number  integer NOT NULL,
  attempt_id       uuid NOT NULL REFERENCES ring_attempts (id),
  call_status      text NOT NULL,
  event_at         timestamptz NOT NULL,
  received_at      timestamptz NOT NULL,
  duration_seconds integer,
  PRIMARY KEY (child_call_sid, sequence_number)
);

-- The hotline call's own status callbacks (the number's "call status changes" webhook).
CREATE TABLE call_events (
  call_sid         text NOT NULL,
  call_status      text NOT NULL,
  sequence_number  integer,
  event_at         timestamptz NOT NULL,
  received_at      timestamptz NOT NULL,
  duration_seconds integer,
  PRIMARY KEY (call_sid, call_status)
);
