-- The admins' console: personal accounts, their server-side sessions, throttled sign-ins,
-- personal API tokens, and an audit trail naming who changed what.

-- role: admin (everything, accounts too) | supervisor (runs the day) | viewer (reads, numbers masked)
CREATE TABLE console_accounts (
  id             uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  username       text NOT NULL UNIQUE,
  password_hash  text NOT NULL,
  role           text NOT NULL CHECK (role IN ('admin', 'supervisor', 'viewer')),
  active         boolean NOT NULL DEFAULT true,
  created_at     timestamptz NOT NULL,
  updated_at     timestamptz NOT NULL
);

-- Only a hash of the session id is stored: a leaked table does not sign anyone in.
CREATE TABLE console_sessions (
  id_hash        text PRIMARY KEY,
  account_id     uuid NOT NULL REFERENCES console_accounts (id),
  csrf_token     text NOT NULL,
  created_at     timestamptz NOT NULL,
  expires_at     timestamptz NOT NULL
);
CREATE INDEX console_sessions_account ON console_sessions (account_id);

CREATE TABLE console_sign_in_failures (
  id         bigserial PRIMARY KEY,
  username   text NOT NULL,
  address    text NOT NULL,
  at         timestamptz NOT NULL
);
CREATE INDEX console_sign_in_failures_username ON console_sign_in_failures (username, at);
CREATE INDEX console_sign_in_failures_address ON console_sign_in_failures (address, at);

CREATE TABLE api_tokens (
  id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  account_id    uuid NOT NULL REFERENCES console_accounts (id),
  name          text NOT NULL,
  token_hash    text NOT NULL UNIQUE,
  created_at    timestamptz NOT NULL,
  last_used_at  timestamptz,
  revoked_at    timestamptz
);

-- actor: 'account:<username>', 'admin-token' (the shared ADMIN_TOKEN), 'agent:<id>'
CREATE TABLE audit_log (
  id      bigserial PRIMARY KEY,
  actor   text NOT NULL,
  action  text NOT NULL,
  target  text,
  detail  jsonb,
  at      timestamptz NOT NULL
);
CREATE INDEX audit_log_at ON audit_log (at DESC, id DESC);

ALTER TABLE fines ADD COLUMN waived_by text;
