-- Where the caller's seconds go: how long after arrival the first agent's phone rang (from
-- Twilio's leg Timestamps), and the time spent in the waiting line for a free agent, apart
-- from the ringing. waiting_since is set while the caller is in the line.
ALTER TABLE calls ADD COLUMN first_ring_seconds double precision;
ALTER TABLE calls ADD COLUMN waiting_since timestamptz;
ALTER TABLE calls ADD COLUMN line_wait_seconds double precision NOT NULL DEFAULT 0;

-- The whisper already asked the agent to apologise, so the key press need not ask again.
ALTER TABLE ring_attempts ADD COLUMN apology_cued boolean NOT NULL DEFAULT false;
