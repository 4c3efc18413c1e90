-- Why the hunt passed agents over, without a row per agent per call (issue 22, defect 6): with
-- 1,000 agents, call_skips took about 900 rows a call. What the roster passes over (off-duty,
-- on-leave, paused) is the same for every call to one number until the roster changes, so each
-- such list is kept once and calls point at it; the agents found busy differ from call to call
-- and are kept as one array with the offer. An offer now writes at most one row (two the first
-- time a list is seen), none when it says nothing new for its call (SkipNotes). Read back by
-- CallStore.skipsOfCalls: the first reason per agent, as before.

-- One list the roster passed over, keyed by a digest of its content (md5 of "agent:reason,...").
CREATE TABLE skip_sets (
  key        text PRIMARY KEY,
  agent_ids  uuid[] NOT NULL,
  reasons    text[] NOT NULL,
  CHECK (cardinality(agent_ids) = cardinality(reasons)),
  CHECK (reasons <@ ARRAY['off-duty', 'on-leave', 'paused']::text[])
);

-- One row per offer that passed agents over: the roster's list (if any) and who was busy.
CREATE TABLE call_skip_notes (
  call_id   uuid NOT NULL REFERENCES calls (id),
  at        timestamptz NOT NULL,
  skip_set  text REFERENCES skip_sets (key),
  busy      uuid[] NOT NULL DEFAULT '{}'
);
CREATE INDEX call_skip_notes_call ON call_skip_notes (call_id, at);

-- The rows of call_skips, moved: one note per call and instant, its roster list kept once.
WITH grouped AS (
  SELECT call_id, at,
         array_agg(agent_id ORDER BY agent_id) FILTER (WHERE reason <> 'busy') AS agent_ids,
         array_agg(reason ORDER BY agent_id) FILTER (WHERE reason <> 'busy') AS reasons,
         COALESCE(array_agg(agent_id ORDER BY agent_id) FILTER (WHERE reason = 'busy'), '{}') AS busy,
         md5(string_agg(agent_id::text || ':' || reason, ',' ORDER BY agent_id) FILTER (WHERE reason <> 'busy')) AS key
    FROM call_skips GROUP BY call_id, at
), sets AS (
  INSERT INTO skip_sets (key, agent_ids, reasons)
  SELECT DISTINCT ON (key) key, agent_ids, reasons FROM grouped WHERE key IS NOT NULL ORDER BY key
  ON CONFLICT (key) DO NOTHING
)
INSERT INTO call_skip_notes (call_id, at, skip_set, busy) SELECT call_id, at, key, busy FROM grouped;

DROP TABLE call_skips;
