-- An index for every query that runs on a timer (issue 22, defect 6), so its cost follows the
-- rows it is after (calls still hunting, cases still due, jobs still pending) and not the years of
-- history beside them. Each one names its query; docs/PERFORMANCE.md has the plans on 10,000,000
-- calls, and test/integration/periodic-query-plans.test.ts checks the planner can use each.
-- Building them on a large `calls` table takes a while (figures in docs/PERFORMANCE.md).

-- The call settler (CallStore.listOverdueHunting): hunting calls past the longest possible hunt,
-- oldest first. Partial: a call hunts for seconds, so the index holds a handful of rows.
-- (listStaleConnected already has calls_connected, migration 0006.)
CREATE INDEX calls_hunting ON calls (started_at, id) WHERE state = 'hunting';

-- The settler's look at an agent leg's final status (CallStore.terminalEventsOf): by attempt.
CREATE INDEX leg_events_attempt ON leg_events (attempt_id);

-- The complaint sweep (PostgresComplaintStore.untaken): calls typed 'complaint', oldest first;
-- only complaint calls are in it, not every call.
CREATE INDEX calls_complaints ON calls (started_at, id) WHERE call_type = 'complaint' AND NOT blocked AND NOT internal;

-- The complaint sweep's reminders and alerts (claimReminders, claimAlerts): open cases not yet
-- reminded (alerted), by when that falls due. Replaces nothing: complaint_cases_due keeps
-- serving the console's list of open cases.
CREATE INDEX complaint_cases_remind ON complaint_cases (remind_at) WHERE status = 'open' AND reminded_at IS NULL;
CREATE INDEX complaint_cases_alert ON complaint_cases (reply_due_at) WHERE status = 'open' AND alerted_at IS NULL;

-- The callback scheduler (PostgresCallbackJobStore.claimDue) and the metrics' oldest due job:
-- jobs not yet done, by when they run. Done, skipped and failed jobs (all of history) stay out.
CREATE INDEX callback_jobs_open ON callback_jobs (run_at, id) WHERE status IN ('pending', 'running');

-- Claims through PostgreSQL while Redis is down (PostgresCoordinator.claimFirst, claimsOnRecord):
-- the agents with an unfinished attempt, a hotline ring or talk or a callback call.
CREATE INDEX ring_attempts_unfinished ON ring_attempts (agent_id) WHERE finished_at IS NULL;
CREATE INDEX callback_attempts_unfinished ON callback_attempts (agent_id) WHERE finished_at IS NULL;
