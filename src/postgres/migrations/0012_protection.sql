-- Who gets through: blocklist rules, internal numbers, warnings reported by agents, and the
-- marks on a call that was refused (blocked) or came from inside (internal).

-- A refused call is recorded already ended, with no outcome: it never entered the figures.
ALTER TABLE calls ADD COLUMN blocked boolean NOT NULL DEFAULT false;
ALTER TABLE calls ADD COLUMN internal boolean NOT NULL DEFAULT false;
ALTER TABLE calls ADD COLUMN warned boolean NOT NULL DEFAULT false;

-- pattern: an E.164 number, a prefix ending in '*', or 'anonymous' (every withheld caller ID).
-- reason: harassment | spam | other. A lifted rule stays on record (lifted_at, lifted_by).
CREATE TABLE blocklist_rules (
  id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  pattern     text NOT NULL,
  reason      text NOT NULL CHECK (reason IN ('harassment', 'spam', 'other')),
  note        text,
  added_by    text NOT NULL,
  created_at  timestamptz NOT NULL,
  updated_at  timestamptz NOT NULL,
  expires_at  timestamptz,
  lifted_at   timestamptz,
  lifted_by   text,
  -- set when the rule came from agents' reports (warn, then block)
  from_reports boolean NOT NULL DEFAULT false
);
CREATE INDEX blocklist_rules_live ON blocklist_rules (pattern) WHERE lifted_at IS NULL;

CREATE TABLE internal_numbers (
  id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  pattern     text NOT NULL,
  name        text,
  added_by    text NOT NULL,
  created_at  timestamptz NOT NULL,
  removed_at  timestamptz,
  removed_by  text
);
CREATE UNIQUE INDEX internal_numbers_live ON internal_numbers (pattern) WHERE removed_at IS NULL;

-- An agent's "harassing caller" report against the number of a call they answered.
CREATE TABLE caller_reports (
  id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  phone       text NOT NULL,
  call_id     uuid NOT NULL REFERENCES calls (id),
  agent_id    uuid REFERENCES agents (id),
  reported_at timestamptz NOT NULL,
  lifted_at   timestamptz,
  lifted_by   text
);
-- One report per call: a second press of the button is the same report.
CREATE UNIQUE INDEX caller_reports_call ON caller_reports (call_id);
CREATE INDEX caller_reports_phone ON caller_reports (phone) WHERE lifted_at IS NULL;
