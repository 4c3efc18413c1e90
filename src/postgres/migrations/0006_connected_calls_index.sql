-- The call settler looks every minute for calls still connected long after the key press
-- (their <Dial> action was lost); only a handful are connected at any time, so index just those.
CREATE INDEX calls_connected ON calls (accepted_at) WHERE state = 'connected';
