-- Change notices for the facts an arriving call reads from memory (src/postgres/facts-cache.ts):
-- every committed change to one of their tables sends a NOTIFY on `threering_facts`, which
-- PostgreSQL delivers to every listening instance only once the change has committed. An instance
-- that is listening keeps its facts until a notice comes (or the clock crosses a shift boundary)
-- instead of reading them again every two seconds. Notices with the same payload in one
-- transaction are folded into one, so a statement touching many rows sends one per table.

CREATE FUNCTION facts_changed() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('threering_facts', TG_TABLE_NAME);
  RETURN NULL;
END
$$;

-- One statement-level trigger per table: <table>_facts_changed.
DO $$
DECLARE t text;
BEGIN
  FOREACH t IN ARRAY ARRAY['agent_schedules', 'shifts', 'hotlines', 'hotline_agents',
                           'blocklist_rules', 'internal_numbers', 'caller_reports'] LOOP
    EXECUTE format('CREATE TRIGGER %I AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON %I FOR EACH STATEMENT EXECUTE FUNCTION facts_changed()',
                   t || '_facts_changed', t);
  END LOOP;
END
$$;

-- Agents and leaves: any change but a column no cached fact reads and that is written often,
-- row by row, so that those writes (and a statement that changes no row) send nothing: the count
-- of offers an agent missed in a row (at most call ends), and when a leave's callbacks were
-- handed to the substitute (every instance's minute loop).
CREATE TRIGGER agents_facts_added AFTER INSERT OR DELETE OR TRUNCATE ON agents
  FOR EACH STATEMENT EXECUTE FUNCTION facts_changed();
CREATE TRIGGER agents_facts_changed AFTER UPDATE ON agents
  FOR EACH ROW WHEN ((to_jsonb(OLD) - 'missed_offers') IS DISTINCT FROM (to_jsonb(NEW) - 'missed_offers'))
  EXECUTE FUNCTION facts_changed();
CREATE TRIGGER leaves_facts_added AFTER INSERT OR DELETE OR TRUNCATE ON leaves
  FOR EACH STATEMENT EXECUTE FUNCTION facts_changed();
CREATE TRIGGER leaves_facts_changed AFTER UPDATE ON leaves
  FOR EACH ROW WHEN ((to_jsonb(OLD) - 'callbacks_moved_at') IS DISTINCT FROM (to_jsonb(NEW) - 'callbacks_moved_at'))
  EXECUTE FUNCTION facts_changed();
