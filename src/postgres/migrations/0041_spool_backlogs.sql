-- Spools waiting to be replayed (issue 22): while a server instance holds events kept during a
-- PostgreSQL outage, it says so here at each replay pass, with the time of its oldest event. The
-- callback scheduler judges no deadline that such an event could still change (a caller who got
-- through before it, recorded late), so no fine is levied before the outage's calls are on record.
-- A row not seen for a while belongs to an instance that stopped: it no longer holds anything back.
CREATE TABLE spool_backlogs (
  instance_id  text PRIMARY KEY,
  oldest_at    timestamptz NOT NULL,
  seen_at      timestamptz NOT NULL
);
