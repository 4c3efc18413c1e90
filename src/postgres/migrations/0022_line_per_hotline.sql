-- A waiting line per hotline number (issue 22): the fallback's line rows name their line, as the
-- Redis keys do. A caller who leaves is marked, not deleted, while the row is needed: during the
-- grace after Redis returns, an instance still on Redis and one still in fallback both ask this
-- row who takes the caller, so one of them moves the caller, never both (README "When Redis or
-- PostgreSQL is down"). The rows go when the copy back to Redis is over.
ALTER TABLE coordination_line ADD COLUMN line text NOT NULL DEFAULT '';
ALTER TABLE coordination_line ADD COLUMN left_at timestamptz;
DROP INDEX coordination_line_order;
CREATE INDEX coordination_line_order ON coordination_line (line, arrived_at_ms, call_id) WHERE left_at IS NULL;

-- Which document dialling an attempt's agent is the newest (0: the first). A waiting caller moved
-- twice (two REST moves landing) is dialled twice for one attempt: Twilio cuts the first leg,
-- whose end must not free the agent the second leg rings. Each leg's callbacks carry the mark
-- of its document; one older than this is a leg cut by a later move.
ALTER TABLE ring_attempts ADD COLUMN dial_mark integer NOT NULL DEFAULT 0;
