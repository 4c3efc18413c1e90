-- The name a person goes by, shown where the console names who did something (a fine's waiver,
-- a complaint's reply); the username stays what they sign in with. Null: the username is shown.
ALTER TABLE console_accounts ADD COLUMN display_name text CHECK (display_name IS NULL OR length(display_name) BETWEEN 1 AND 100);
