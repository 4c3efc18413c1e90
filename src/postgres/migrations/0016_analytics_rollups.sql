-- Rollups of the figures (README "Figures"), so a year's summary adds up a few thousand rows
-- instead of a million calls. Each call and each ring attempt is counted twice: in its 15-minute
-- slot (span_seconds 900; any range aligned to 15 minutes in any time-zone offset is whole slots,
-- and a slot lies in one local hour) and in its UTC day (span_seconds 86400; fewer rows for long
-- ranges). Triggers on calls and ring_attempts keep them in the statement that writes the row:
-- every change subtracts the old row's share and adds the new one's, so an outcome set later, a
-- late status callback or a replay leaves the same sums as one clean write. Sums are numeric so
-- that subtracting and adding back is exact. The first ring is kept as a histogram of its exact
-- values, so the 90th percentile comes out as percentile_cont over the calls would give it.
-- Readers: src/postgres/analytics-store.ts (whole slots here, ragged edges from calls).

CREATE TABLE call_rollups (
  span_seconds      integer NOT NULL CHECK (span_seconds IN (900, 86400)),
  slot_start        timestamptz NOT NULL,
  to_number         text NOT NULL,
  blocked           bigint NOT NULL DEFAULT 0,
  internal          bigint NOT NULL DEFAULT 0,
  offered           bigint NOT NULL DEFAULT 0,
  answered          bigint NOT NULL DEFAULT 0,
  missed            bigint NOT NULL DEFAULT 0,
  abandoned         bigint NOT NULL DEFAULT 0,
  within_rule       bigint NOT NULL DEFAULT 0,
  wait_n            bigint NOT NULL DEFAULT 0,
  wait_sum          numeric NOT NULL DEFAULT 0,
  first_ring_n      bigint NOT NULL DEFAULT 0,
  first_ring_sum    numeric NOT NULL DEFAULT 0,
  abandon_wait_n    bigint NOT NULL DEFAULT 0,
  abandon_wait_sum  numeric NOT NULL DEFAULT 0,
  talk_n            bigint NOT NULL DEFAULT 0,
  talk_sum          numeric NOT NULL DEFAULT 0,
  PRIMARY KEY (span_seconds, slot_start, to_number)
);

CREATE TABLE first_ring_rollups (
  span_seconds  integer NOT NULL CHECK (span_seconds IN (900, 86400)),
  slot_start    timestamptz NOT NULL,
  to_number     text NOT NULL,
  seconds       double precision NOT NULL,
  calls         bigint NOT NULL DEFAULT 0,
  PRIMARY KEY (span_seconds, slot_start, to_number, seconds)
);

CREATE TABLE agent_rollups (
  span_seconds        integer NOT NULL CHECK (span_seconds IN (900, 86400)),
  slot_start          timestamptz NOT NULL,
  to_number           text NOT NULL,
  agent_id            uuid NOT NULL,
  offers              bigint NOT NULL DEFAULT 0,
  offered_first       bigint NOT NULL DEFAULT 0,
  accepted            bigint NOT NULL DEFAULT 0,
  no_answer           bigint NOT NULL DEFAULT 0,
  rejected_by_screen  bigint NOT NULL DEFAULT 0,
  accepted_ring_n     bigint NOT NULL DEFAULT 0,
  accepted_ring_sum   numeric NOT NULL DEFAULT 0,
  PRIMARY KEY (span_seconds, slot_start, to_number, agent_id)
);

CREATE FUNCTION rollup_slot(moment timestamptz, span integer) RETURNS timestamptz
LANGUAGE sql IMMUTABLE AS $$
  SELECT date_bin(make_interval(secs => span), moment, TIMESTAMPTZ '1970-01-01 00:00:00+00')
$$;

-- One call's share of call_rollups; the same definitions as the raw figures in raw-analytics.ts.
CREATE FUNCTION call_rollup_share(c calls) RETURNS TABLE (
  blocked integer, internal integer, offered integer, answered integer, missed integer, abandoned integer,
  within_rule integer, wait_n integer, wait_sum numeric, first_ring_n integer, first_ring_sum numeric,
  abandon_wait_n integer, abandon_wait_sum numeric, talk_n integer, talk_sum numeric
) LANGUAGE sql IMMUTABLE AS $$
  SELECT
    CASE WHEN c.blocked THEN 1 ELSE 0 END,
    CASE WHEN c.internal AND NOT c.blocked THEN 1 ELSE 0 END,
    CASE WHEN k.counted AND c.outcome IS NOT NULL THEN 1 ELSE 0 END,
    CASE WHEN k.counted AND c.outcome = 'answered' THEN 1 ELSE 0 END,
    CASE WHEN k.counted AND c.outcome = 'missed' THEN 1 ELSE 0 END,
    CASE WHEN k.counted AND c.outcome = 'abandoned' THEN 1 ELSE 0 END,
    CASE WHEN k.counted AND c.outcome = 'answered' AND c.within_answer_rule THEN 1 ELSE 0 END,
    CASE WHEN k.counted AND c.outcome = 'answered' AND c.wait_seconds IS NOT NULL THEN 1 ELSE 0 END,
    CASE WHEN k.counted AND c.outcome = 'answered' THEN COALESCE(c.wait_seconds::numeric, 0) ELSE 0 END,
    CASE WHEN k.counted AND c.outcome IS NOT NULL AND c.first_ring_seconds IS NOT NULL THEN 1 ELSE 0 END,
    CASE WHEN k.counted AND c.outcome IS NOT NULL THEN COALESCE(c.first_ring_seconds::numeric, 0) ELSE 0 END,
    CASE WHEN k.counted AND c.outcome = 'abandoned' AND c.wait_seconds IS NOT NULL THEN 1 ELSE 0 END,
    CASE WHEN k.counted AND c.outcome = 'abandoned' THEN COALESCE(c.wait_seconds::numeric, 0) ELSE 0 END,
    CASE WHEN k.counted AND c.outcome = 'answered' AND c.talk_seconds IS NOT NULL THEN 1 ELSE 0 END,
    CASE WHEN k.counted AND c.outcome = 'answered' THEN COALESCE(c.talk_seconds::numeric, 0) ELSE 0 END
  FROM (SELECT NOT c.blocked AND NOT c.internal AS counted) k
$$;

-- One ring attempt's share of agent_rollups: an offer is a phone that was rung (as in agentSummary).
CREATE FUNCTION agent_rollup_share(a ring_attempts, c calls) RETURNS TABLE (
  offers integer, offered_first integer, accepted integer, no_answer integer, rejected_by_screen integer,
  accepted_ring_n integer, accepted_ring_sum numeric
) LANGUAGE sql IMMUTABLE AS $$
  SELECT 1,
    CASE WHEN a.seq = 0 THEN 1 ELSE 0 END,
    CASE WHEN a.outcome = 'accepted' THEN 1 ELSE 0 END,
    CASE WHEN a.outcome IN ('no-answer', 'busy', 'failed') THEN 1 ELSE 0 END,
    CASE WHEN a.outcome = 'rejected-by-screen' THEN 1 ELSE 0 END,
    CASE WHEN a.outcome = 'accepted' AND a.ring_seconds IS NOT NULL THEN 1 ELSE 0 END,
    CASE WHEN a.outcome = 'accepted' THEN COALESCE(a.ring_seconds::numeric, 0) ELSE 0 END
  WHERE NOT c.blocked AND NOT c.internal
    AND (a.initiated_at IS NOT NULL OR a.outcome IN ('accepted', 'no-answer', 'busy', 'failed', 'rejected-by-screen', 'not-bridged'))
$$;

-- Adds sign (1 or -1) times one call's share, to its slot row first and its day row second
-- (always that order, so two writers never wait on each other crosswise). PL/pgSQL rather than
-- SQL so that each session plans these statements once, not at every row a trigger sees.
CREATE FUNCTION rollup_add_call(c calls, sign integer) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO call_rollups AS r (span_seconds, slot_start, to_number, blocked, internal, offered, answered, missed, abandoned,
    within_rule, wait_n, wait_sum, first_ring_n, first_ring_sum, abandon_wait_n, abandon_wait_sum, talk_n, talk_sum)
  SELECT s.span, rollup_slot(c.started_at, s.span), c.to_number, sign * f.blocked, sign * f.internal, sign * f.offered,
    sign * f.answered, sign * f.missed, sign * f.abandoned, sign * f.within_rule, sign * f.wait_n, sign * f.wait_sum,
    sign * f.first_ring_n, sign * f.first_ring_sum, sign * f.abandon_wait_n, sign * f.abandon_wait_sum, sign * f.talk_n, sign * f.talk_sum
  FROM call_rollup_share(c) f CROSS JOIN (VALUES (900), (86400)) s (span)
  ORDER BY s.span
  ON CONFLICT (span_seconds, slot_start, to_number) DO UPDATE SET
    blocked = r.blocked + EXCLUDED.blocked, internal = r.internal + EXCLUDED.internal, offered = r.offered + EXCLUDED.offered,
    answered = r.answered + EXCLUDED.answered, missed = r.missed + EXCLUDED.missed, abandoned = r.abandoned + EXCLUDED.abandoned,
    within_rule = r.within_rule + EXCLUDED.within_rule, wait_n = r.wait_n + EXCLUDED.wait_n, wait_sum = r.wait_sum + EXCLUDED.wait_sum,
    first_ring_n = r.first_ring_n + EXCLUDED.first_ring_n, first_ring_sum = r.first_ring_sum + EXCLUDED.first_ring_sum,
    abandon_wait_n = r.abandon_wait_n + EXCLUDED.abandon_wait_n, abandon_wait_sum = r.abandon_wait_sum + EXCLUDED.abandon_wait_sum,
    talk_n = r.talk_n + EXCLUDED.talk_n, talk_sum = r.talk_sum + EXCLUDED.talk_sum;
  INSERT INTO first_ring_rollups AS r (span_seconds, slot_start, to_number, seconds, calls)
  SELECT s.span, rollup_slot(c.started_at, s.span), c.to_number, c.first_ring_seconds, sign
  FROM (VALUES (900), (86400)) s (span)
  WHERE NOT c.blocked AND NOT c.internal AND c.outcome IS NOT NULL AND c.first_ring_seconds IS NOT NULL
  ORDER BY s.span
  ON CONFLICT (span_seconds, slot_start, to_number, seconds) DO UPDATE SET calls = r.calls + EXCLUDED.calls;
END
$$;

CREATE FUNCTION rollup_add_attempt(a ring_attempts, c calls, sign integer) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO agent_rollups AS r (span_seconds, slot_start, to_number, agent_id, offers, offered_first, accepted, no_answer,
    rejected_by_screen, accepted_ring_n, accepted_ring_sum)
  SELECT s.span, rollup_slot(c.started_at, s.span), c.to_number, a.agent_id, sign * f.offers, sign * f.offered_first,
    sign * f.accepted, sign * f.no_answer, sign * f.rejected_by_screen, sign * f.accepted_ring_n, sign * f.accepted_ring_sum
  FROM agent_rollup_share(a, c) f CROSS JOIN (VALUES (900), (86400)) s (span)
  ORDER BY s.span
  ON CONFLICT (span_seconds, slot_start, to_number, agent_id) DO UPDATE SET
    offers = r.offers + EXCLUDED.offers, offered_first = r.offered_first + EXCLUDED.offered_first,
    accepted = r.accepted + EXCLUDED.accepted, no_answer = r.no_answer + EXCLUDED.no_answer,
    rejected_by_screen = r.rejected_by_screen + EXCLUDED.rejected_by_screen,
    accepted_ring_n = r.accepted_ring_n + EXCLUDED.accepted_ring_n, accepted_ring_sum = r.accepted_ring_sum + EXCLUDED.accepted_ring_sum;
END
$$;

-- A call still hunting (no outcome) and neither blocked nor internal is in no figure: most updates
-- during a call cost nothing. Moving a call (arrival, number, blocked, internal) moves its attempts.
CREATE FUNCTION rollup_call_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP <> 'INSERT' AND (OLD.blocked OR OLD.internal OR OLD.outcome IS NOT NULL) THEN
    PERFORM rollup_add_call(OLD, -1);
  END IF;
  IF TG_OP <> 'DELETE' AND (NEW.blocked OR NEW.internal OR NEW.outcome IS NOT NULL) THEN
    PERFORM rollup_add_call(NEW, 1);
  END IF;
  IF TG_OP = 'UPDATE' AND (OLD.started_at, OLD.to_number, OLD.blocked, OLD.internal)
      IS DISTINCT FROM (NEW.started_at, NEW.to_number, NEW.blocked, NEW.internal) THEN
    PERFORM rollup_add_attempt(a, OLD, -1), rollup_add_attempt(a, NEW, 1) FROM ring_attempts a WHERE a.call_id = NEW.id;
  END IF;
  RETURN NULL;
END
$$;

-- An attempt just offered (not yet dialled, no outcome) is no offer yet: its insert costs nothing.
CREATE FUNCTION rollup_attempt_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP <> 'INSERT' AND (OLD.initiated_at IS NOT NULL OR OLD.outcome IS NOT NULL) THEN
    PERFORM rollup_add_attempt(OLD, c, -1) FROM calls c WHERE c.id = OLD.call_id;
  END IF;
  IF TG_OP <> 'DELETE' AND (NEW.initiated_at IS NOT NULL OR NEW.outcome IS NOT NULL) THEN
    PERFORM rollup_add_attempt(NEW, c, 1) FROM calls c WHERE c.id = NEW.call_id;
  END IF;
  RETURN NULL;
END
$$;

CREATE TRIGGER calls_rollup_write AFTER INSERT OR DELETE ON calls
  FOR EACH ROW EXECUTE FUNCTION rollup_call_change();
CREATE TRIGGER calls_rollup_update AFTER UPDATE ON calls
  FOR EACH ROW WHEN ((OLD.started_at, OLD.to_number, OLD.blocked, OLD.internal, OLD.outcome, OLD.within_answer_rule,
                      OLD.wait_seconds, OLD.first_ring_seconds, OLD.talk_seconds)
    IS DISTINCT FROM (NEW.started_at, NEW.to_number, NEW.blocked, NEW.internal, NEW.outcome, NEW.within_answer_rule,
                      NEW.wait_seconds, NEW.first_ring_seconds, NEW.talk_seconds))
  EXECUTE FUNCTION rollup_call_change();
CREATE TRIGGER ring_attempts_rollup_write AFTER INSERT OR DELETE ON ring_attempts
  FOR EACH ROW EXECUTE FUNCTION rollup_attempt_change();
CREATE TRIGGER ring_attempts_rollup_update AFTER UPDATE ON ring_attempts
  FOR EACH ROW WHEN ((OLD.call_id, OLD.agent_id, OLD.seq, OLD.outcome, OLD.ring_seconds, OLD.initiated_at)
    IS DISTINCT FROM (NEW.call_id, NEW.agent_id, NEW.seq, NEW.outcome, NEW.ring_seconds, NEW.initiated_at))
  EXECUTE FUNCTION rollup_attempt_change();

-- Rebuilds every rollup from the rows (the backfill below; the benchmark seeds without the
-- triggers and calls it after).
CREATE FUNCTION rollup_rebuild() RETURNS void
LANGUAGE sql AS $$
  DELETE FROM call_rollups;
  DELETE FROM first_ring_rollups;
  DELETE FROM agent_rollups;
  INSERT INTO call_rollups (span_seconds, slot_start, to_number, blocked, internal, offered, answered, missed, abandoned,
    within_rule, wait_n, wait_sum, first_ring_n, first_ring_sum, abandon_wait_n, abandon_wait_sum, talk_n, talk_sum)
  SELECT s.span, rollup_slot(c.started_at, s.span), c.to_number, SUM(f.blocked), SUM(f.internal), SUM(f.offered), SUM(f.answered),
    SUM(f.missed), SUM(f.abandoned), SUM(f.within_rule), SUM(f.wait_n), SUM(f.wait_sum), SUM(f.first_ring_n), SUM(f.first_ring_sum),
    SUM(f.abandon_wait_n), SUM(f.abandon_wait_sum), SUM(f.talk_n), SUM(f.talk_sum)
  FROM calls c CROSS JOIN LATERAL call_rollup_share(c) f CROSS JOIN (VALUES (900), (86400)) s (span)
  WHERE c.blocked OR c.internal OR c.outcome IS NOT NULL
  GROUP BY 1, 2, 3;
  INSERT INTO first_ring_rollups (span_seconds, slot_start, to_number, seconds, calls)
  SELECT s.span, rollup_slot(c.started_at, s.span), c.to_number, c.first_ring_seconds, COUNT(*)
  FROM calls c CROSS JOIN (VALUES (900), (86400)) s (span)
  WHERE NOT c.blocked AND NOT c.internal AND c.outcome IS NOT NULL AND c.first_ring_seconds IS NOT NULL
  GROUP BY 1, 2, 3, 4;
  INSERT INTO agent_rollups (span_seconds, slot_start, to_number, agent_id, offers, offered_first, accepted, no_answer,
    rejected_by_screen, accepted_ring_n, accepted_ring_sum)
  SELECT s.span, rollup_slot(c.started_at, s.span), c.to_number, a.agent_id, SUM(f.offers), SUM(f.offered_first), SUM(f.accepted),
    SUM(f.no_answer), SUM(f.rejected_by_screen), SUM(f.accepted_ring_n), SUM(f.accepted_ring_sum)
  FROM ring_attempts a JOIN calls c ON c.id = a.call_id CROSS JOIN LATERAL agent_rollup_share(a, c) f
    CROSS JOIN (VALUES (900), (86400)) s (span)
  GROUP BY 1, 2, 3, 4
$$;

SELECT rollup_rebuild();
