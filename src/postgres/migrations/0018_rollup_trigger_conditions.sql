-- The rollups' insert and delete triggers (0016) now say in their WHEN clause which rows they
-- concern, so PostgreSQL does not queue a trigger event for the rows their function ignores: a
-- call recorded hunting (nearly every new call) and an attempt recorded as an offer not yet
-- dialled. The functions are unchanged and still test the same conditions themselves.

DROP TRIGGER calls_rollup_write ON calls;
CREATE TRIGGER calls_rollup_insert AFTER INSERT ON calls
  FOR EACH ROW WHEN (NEW.blocked OR NEW.internal OR NEW.outcome IS NOT NULL)
  EXECUTE FUNCTION rollup_call_change();
CREATE TRIGGER calls_rollup_delete AFTER DELETE ON calls
  FOR EACH ROW WHEN (OLD.blocked OR OLD.internal OR OLD.outcome IS NOT NULL)
  EXECUTE FUNCTION rollup_call_change();

DROP TRIGGER ring_attempts_rollup_write ON ring_attempts;
CREATE TRIGGER ring_attempts_rollup_insert AFTER INSERT ON ring_attempts
  FOR EACH ROW WHEN (NEW.initiated_at IS NOT NULL OR NEW.outcome IS NOT NULL)
  EXECUTE FUNCTION rollup_attempt_change();
CREATE TRIGGER ring_attempts_rollup_delete AFTER DELETE ON ring_attempts
  FOR EACH ROW WHEN (OLD.initiated_at IS NOT NULL OR OLD.outcome IS NOT NULL)
  EXECUTE FUNCTION rollup_attempt_change();
