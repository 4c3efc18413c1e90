-- After the call: customer files, what each call was about (type, summary, the caller's name as
-- an agent wrote it), the post-call rating, and who changed a call's notes when.

-- A customer is known by the number they call from. name is what an agent entered and is never
-- overwritten by name_suggestion, which is the CallerName Twilio last sent for the number.
CREATE TABLE customers (
  id               uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  phone            text NOT NULL UNIQUE,
  name             text,
  name_suggestion  text,
  notes            text,
  created_at       timestamptz NOT NULL,
  updated_at       timestamptz NOT NULL
);

-- calls.caller_name stays what Twilio sent (CallerName); noted_caller_name is what an agent wrote.
-- handover_requested_at: the agent asked (from their phone) to hand the caller to the rating;
-- whichever request ends the call then records it as ended by 'agent-handover'.
ALTER TABLE calls ADD COLUMN customer_id uuid REFERENCES customers (id);
ALTER TABLE calls ADD COLUMN repeat_caller boolean NOT NULL DEFAULT false;
ALTER TABLE calls ADD COLUMN call_type text CHECK (call_type IN ('consultation', 'complaint', 'repair', 'suggestion', 'other'));
ALTER TABLE calls ADD COLUMN summary text;
ALTER TABLE calls ADD COLUMN noted_caller_name text;
ALTER TABLE calls ADD COLUMN handover_requested_at timestamptz;
ALTER TABLE calls ADD COLUMN notes_link_sent_at timestamptz;
CREATE INDEX calls_customer ON calls (customer_id, started_at DESC);
CREATE INDEX calls_answered_by ON calls (answered_by_agent_id, started_at DESC);

-- The post-call survey, one per answered call, against the agent who answered it.
-- status: offered -> rated | no-input | invalid-input   (offered and the caller gone: they hung up during it)
CREATE TABLE call_ratings (
  call_id      uuid PRIMARY KEY REFERENCES calls (id),
  agent_id     uuid NOT NULL REFERENCES agents (id),
  status       text NOT NULL CHECK (status IN ('offered', 'rated', 'no-input', 'invalid-input')),
  score        smallint CHECK (score BETWEEN 1 AND 5),
  offered_at   timestamptz NOT NULL,
  finished_at  timestamptz
);
CREATE INDEX call_ratings_agent ON call_ratings (agent_id, score);

-- Every change to a call's type, summary or caller name. changed_by: admin | agent:<agent id>
-- id follows insertion, so changes made in one request keep their order.
CREATE TABLE call_note_changes (
  id          bigserial PRIMARY KEY,
  call_id     uuid NOT NULL REFERENCES calls (id),
  changed_by  text NOT NULL,
  changed_at  timestamptz NOT NULL,
  field       text NOT NULL CHECK (field IN ('type', 'summary', 'callerName')),
  old_value   text,
  new_value   text
);
CREATE INDEX call_note_changes_call ON call_note_changes (call_id, changed_at);
