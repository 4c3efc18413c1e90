-- Call recordings (R12): what Twilio reported of each recording, once per recording SID, and
-- every time someone listened. The media stays at Twilio; media_url is read only by the server,
-- which streams it with the account's credentials, and is never shown or logged.
--
-- kind: conversation (a bridged hotline call) | callback (a callback call) | voice-message (留言)
-- status: available -> held (a supervisor's hold) -> available ... -> deleted (the retention sweep)
CREATE TABLE recordings (
  id             uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  call_id        uuid NOT NULL REFERENCES calls (id),
  recording_sid  text NOT NULL UNIQUE CHECK (recording_sid ~ '^RE[0-9a-fA-F]{32}$'),
  kind           text NOT NULL DEFAULT 'conversation' CHECK (kind IN ('conversation', 'callback', 'voice-message')),
  agent_id       uuid REFERENCES agents (id),
  hotline        text,
  seconds        integer,
  channels       integer,
  status         text NOT NULL DEFAULT 'available' CHECK (status IN ('available', 'held', 'deleted')),
  media_url      text NOT NULL,
  created_at     timestamptz NOT NULL,
  delete_after   timestamptz NOT NULL,
  held_reason    text,
  held_by        text,
  deleted_at     timestamptz
);
CREATE INDEX recordings_call ON recordings (call_id);
CREATE INDEX recordings_created ON recordings (created_at);
CREATE INDEX recordings_due ON recordings (delete_after) WHERE status = 'available';

-- Every listen or download through GET /api/calls/:id/recording: who, when, which call, from where.
CREATE TABLE recording_listens (
  id            bigserial PRIMARY KEY,
  recording_id  uuid NOT NULL REFERENCES recordings (id),
  call_id       uuid NOT NULL REFERENCES calls (id),
  actor         text NOT NULL,
  ip            text,
  at            timestamptz NOT NULL
);
CREATE INDEX recording_listens_recording ON recording_listens (recording_id, at);
CREATE INDEX recording_listens_call ON recording_listens (call_id, at);

-- Quality inspectors (质检员): they read, score calls and listen to recordings; numbers masked.
ALTER TABLE console_accounts DROP CONSTRAINT IF EXISTS console_accounts_role_check;
ALTER TABLE console_accounts ADD CONSTRAINT console_accounts_role_check CHECK (role IN ('admin', 'supervisor', 'viewer', 'qc'));
