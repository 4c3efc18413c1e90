-- Spool watermarks (issue 22): every instance now reports here at each tick of its replay loop,
-- its spool empty too (oldest_at NULL, "nothing held as of seen_at"). The callback scheduler
-- judges a deadline only once every instance heard of lately has reported after it: an instance
-- whose last report came before the deadline may have spooled events since (a PostgreSQL outage
-- it has not replayed yet), and its first pass after the outage may come after the scheduler's.
ALTER TABLE spool_backlogs ALTER COLUMN oldest_at DROP NOT NULL;
