-- Coordination through PostgreSQL while Redis is down (README "When Redis or PostgreSQL is down"):
-- the same claims, waiting line and rotation counters the Redis keys hold, as rows. Agent ids are
-- text without a foreign key, as Redis keys are: a claim names whoever the coordinator was given.

-- One row per claimed agent; a row past expires_at is free (taken over by the next claim).
CREATE TABLE coordination_claims (
  agent_id    text PRIMARY KEY,
  holder      text NOT NULL,
  expires_at  timestamptz NOT NULL
);

-- Releases made while in fallback, replayed against Redis when it is back: a claim held in Redis
-- before the outage and released during it must not keep its agent busy afterwards.
CREATE TABLE coordination_releases (
  agent_id     text NOT NULL,
  holder       text NOT NULL,
  released_at  timestamptz NOT NULL,
  PRIMARY KEY (agent_id, holder)
);

-- The waiting line, ordered as Redis orders its sorted set: by arrival, then by call id.
CREATE TABLE coordination_line (
  call_id        text PRIMARY KEY,
  arrived_at_ms  bigint NOT NULL
);
CREATE INDEX coordination_line_order ON coordination_line (arrived_at_ms, call_id);

-- Rotation counters, one per key ('' is the shared one), continuing from the Redis values seen.
CREATE TABLE coordination_rotations (
  key    text PRIMARY KEY,
  value  bigint NOT NULL
);

-- Instances coordinating through PostgreSQL now, each renewing its row while it does (database
-- time). An instance still on Redis that sees one writes its claims here too (README).
CREATE TABLE coordination_fallback (
  instance_id  text PRIMARY KEY,
  until        timestamptz NOT NULL
);
