-- The call-ended outbox: the work each call-ended listener owes a call (open or close its
-- callback, file its customer, text the notes link), written in the transaction that ends the
-- call and retried until done, so a database error or a crash cannot lose it.
-- effect: the listener's name (callbacks | customer-file | notes-sms | ...)
-- status: pending -> running -> done ; running -> pending (failed, again at next_attempt_at, with backoff)
--         running -> failed (gave up after the last attempt) ; a running row whose lease ran out is taken again
CREATE TABLE call_end_effects (
  call_id          uuid NOT NULL REFERENCES calls (id),
  effect           text NOT NULL,
  status           text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'running', 'done', 'failed')),
  attempts         integer NOT NULL DEFAULT 0,
  next_attempt_at  timestamptz NOT NULL,
  lease_until      timestamptz,
  last_error       text,
  done_at          timestamptz,
  PRIMARY KEY (call_id, effect)
);
-- Every instance's retry loop looks only at the effects not yet done or given up.
CREATE INDEX call_end_effects_unfinished ON call_end_effects (next_attempt_at) WHERE status IN ('pending', 'running');
-- Given-up effects, for whoever is asked why a caller got no callback.
CREATE INDEX call_end_effects_failed ON call_end_effects (call_id) WHERE status = 'failed';
