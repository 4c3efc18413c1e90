-- The roster (issue 9): weekly patterns, dated shifts and days off, leave with a substitute,
-- pauses with their reason and the auto-pause streak, hotline numbers with their groups, and
-- why each agent a call passed over was skipped.

ALTER TABLE agents ADD COLUMN paused_reason text CHECK (paused_reason IN ('admin', 'sms', 'auto-pause'));
ALTER TABLE agents ADD COLUMN paused_at timestamptz;
-- Consecutive offers the agent let go by; any accepted offer resets it.
ALTER TABLE agents ADD COLUMN missed_offers integer NOT NULL DEFAULT 0;
UPDATE agents SET paused_reason = 'admin' WHERE paused;

CREATE TABLE agent_schedules (
  agent_id    uuid PRIMARY KEY REFERENCES agents (id),
  weekly      jsonb NOT NULL,
  updated_at  timestamptz NOT NULL
);

-- kind: on (an extra shift) | off (a day off, which wins over the weekly pattern)
CREATE TABLE shifts (
  id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  agent_id    uuid NOT NULL REFERENCES agents (id),
  start_at    timestamptz NOT NULL,
  end_at      timestamptz NOT NULL,
  kind        text NOT NULL DEFAULT 'on' CHECK (kind IN ('on', 'off')),
  created_at  timestamptz NOT NULL,
  CHECK (end_at > start_at)
);
CREATE INDEX shifts_agent ON shifts (agent_id);
CREATE INDEX shifts_range ON shifts (start_at, end_at);

CREATE TABLE leaves (
  id                   uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  agent_id             uuid NOT NULL REFERENCES agents (id),
  substitute_agent_id  uuid NOT NULL REFERENCES agents (id),
  start_at             timestamptz NOT NULL,
  end_at               timestamptz NOT NULL,
  kind                 text NOT NULL CHECK (kind IN ('annual', 'sick', 'personal')),
  created_at           timestamptz NOT NULL,
  -- When the agent's open callbacks were handed to the substitute (once the leave began).
  callbacks_moved_at   timestamptz,
  CHECK (end_at > start_at),
  CHECK (agent_id <> substitute_agent_id)
);
CREATE INDEX leaves_range ON leaves (start_at, end_at);

CREATE TABLE hotlines (
  id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  number      text NOT NULL UNIQUE,
  name        text NOT NULL,
  language    text CHECK (language IN ('zh-CN', 'en-US')),
  greeting    text,
  created_at  timestamptz NOT NULL,
  updated_at  timestamptz NOT NULL
);

CREATE TABLE hotline_agents (
  hotline_id  uuid NOT NULL REFERENCES hotlines (id),
  agent_id    uuid NOT NULL REFERENCES agents (id),
  PRIMARY KEY (hotline_id, agent_id)
);

-- reason: off-duty | on-leave | paused | busy; the first reason an agent was passed over for.
CREATE TABLE call_skips (
  call_id   uuid NOT NULL REFERENCES calls (id),
  agent_id  uuid NOT NULL REFERENCES agents (id),
  reason    text NOT NULL CHECK (reason IN ('off-duty', 'on-leave', 'paused', 'busy')),
  at        timestamptz NOT NULL,
  PRIMARY KEY (call_id, agent_id)
);

-- Coverage gaps the admins were already texted about (the day-ahead alert), by the gap's start.
CREATE TABLE roster_gap_alerts (
  gap_start  timestamptz PRIMARY KEY,
  sent_at    timestamptz NOT NULL
);
