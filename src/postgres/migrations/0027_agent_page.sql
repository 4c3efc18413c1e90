-- The agent's phone page (src/agent-page/): the language the agent reads it in, and the digest
-- at the start of each shift.

-- The agent's own choice of language for their page and the messages sent to them; an agent
-- with no row reads Mandarin.
CREATE TABLE agent_page_prefs (
  agent_id    uuid PRIMARY KEY REFERENCES agents (id),
  language    text NOT NULL CHECK (language IN ('zh-CN', 'en-US')),
  updated_at  timestamptz NOT NULL
);

-- One digest per agent per shift start, claimed by the instance that sends it (INSERT ... ON
-- CONFLICT): a claim whose send never finished (sent_at still null) may be taken again after a
-- while, so a crash between the claim and the send does not lose the digest. skipped: the digest
-- was settled without a send (the agent has no way to be reached), so no instance tries again.
CREATE TABLE shift_digests (
  agent_id     uuid NOT NULL REFERENCES agents (id),
  shift_start  timestamptz NOT NULL,
  claimed_at   timestamptz NOT NULL,
  sent_at      timestamptz,
  skipped      text,
  PRIMARY KEY (agent_id, shift_start)
);
