-- When an agent left the roster: the monthly evaluation lists every agent on the roster during
-- the month, so it must know who was there. Agents deactivated before this column existed are
-- taken to have left at their last change (the best the record knows).
ALTER TABLE agents ADD COLUMN deactivated_at timestamptz;
UPDATE agents SET deactivated_at = updated_at WHERE NOT active;
