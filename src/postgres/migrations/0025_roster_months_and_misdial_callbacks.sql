-- When an agent left the roster: the monthly evaluation lists every agent on the roster during
-- the month, so it must know who was there. Agents deactivated before this column existed are
-- taken to have left at their last change (the best the record knows).
ALTER TABLE agents ADD COLUMN deactivated_at timestamptz;
UPDATE agents SET deactivated_at = updated_at WHERE NOT active;

-- A callback every call of which turned out to be a misdial (a miss corrected, by the times, to an
-- abandon shorter than MIN_ABANDON_SECONDS) was never owed: it is cancelled, never deleted, with
-- when and why; a fine already levied for it is waived by the system (fines.waived_by 'system').
ALTER TABLE callbacks DROP CONSTRAINT callbacks_status_check;
ALTER TABLE callbacks ADD CONSTRAINT callbacks_status_check CHECK (status IN ('open', 'attempted', 'done', 'unreachable', 'closed', 'cancelled'));
ALTER TABLE callbacks ADD COLUMN cancelled_at timestamptz;
ALTER TABLE callbacks ADD COLUMN cancelled_reason text;
