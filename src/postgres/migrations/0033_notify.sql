-- The notifier (src/notify/): WeCom and DingTalk channels, each agent's choice of channel, the
-- admins' alerts channel, and the outbox every notice goes through.

-- kind: wecom-robot (key) | dingtalk-robot (access token, signing secret) | wecom-app (corp id,
-- corp secret, agent id). secrets holds those values and is never returned by the API.
CREATE TABLE notify_channels (
  id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  kind        text NOT NULL CHECK (kind IN ('wecom-robot', 'dingtalk-robot', 'wecom-app')),
  name        text NOT NULL,
  secrets     jsonb NOT NULL,
  created_at  timestamptz NOT NULL,
  deleted_at  timestamptz
);

-- An agent with no row is reached by SMS, as before. channel: 'sms' or a notify_channels id.
-- mobile: the number a robot @-mentions (and SMS goes to when the endpoint is SIP); user_id: a
-- wecom-app's userid.
CREATE TABLE agent_notify (
  agent_id    uuid PRIMARY KEY REFERENCES agents (id),
  channel     text NOT NULL,
  mobile      text,
  user_id     text,
  updated_at  timestamptz NOT NULL
);

-- Settings of the notifier that are not per agent: 'alerts' -> the admins' alerts channel.
CREATE TABLE notify_settings (
  name        text PRIMARY KEY,
  value       text NOT NULL,
  updated_at  timestamptz NOT NULL
);

-- status: queued -> sent | failed ; a queued row is due at next_attempt_at (a rate-limit answer or
-- a failed try moves it later). card: the facts of a ring card, made into body when it is sent.
-- target: what the channel needs to reach the person (mobile, userId).
CREATE TABLE notifications (
  id               uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  -- The order notices were queued in, where created_at (the service clock) ties.
  seq              bigint GENERATED ALWAYS AS IDENTITY,
  agent_id         uuid REFERENCES agents (id),
  channel          text NOT NULL,
  kind             text NOT NULL,
  body             text NOT NULL,
  card             jsonb,
  target           jsonb NOT NULL DEFAULT '{}',
  status           text NOT NULL DEFAULT 'queued' CHECK (status IN ('queued', 'sent', 'failed')),
  attempts         integer NOT NULL DEFAULT 0,
  error_code       text,
  next_attempt_at  timestamptz NOT NULL,
  created_at       timestamptz NOT NULL,
  sent_at          timestamptz
);
CREATE INDEX notifications_due ON notifications (next_attempt_at) WHERE status = 'queued';
CREATE INDEX notifications_created ON notifications (created_at DESC);
CREATE INDEX notifications_agent ON notifications (agent_id, created_at DESC);
