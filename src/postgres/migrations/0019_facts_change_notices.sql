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
  FOREACH t IN ARRAY ARRAY['agent_schedules', 'shifts', 'leaves', 'hotlines', 'hotline_agents',
                           'blocklist_rules', 'internal_numbers', 'caller_reports'] LOOP
    EXECUTE format('CREATE TRIGGER %I AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON %I FOR EACH STATEMENT EXECUTE FUNCTION facts_changed()',
                   t || '_facts_changed', t);
  END LOOP;
END
$$;

-- Agents: any change but the count of offers missed in a row (written at each missed offer, and
-- read by no cached fact), so the ring of one call does not send every instance back to the table.
CREATE TRIGGER agents_facts_added AFTER INSERT OR DELETE OR TRUNCATE ON agents
  FOR EACH STATEMENT EXECUTE FUNCTION facts_changed();
CREATE TRIGGER agents_facts_changed AFTER UPDATE ON agents
  FOR EACH ROW WHEN ((to_jsonb(OLD) - 'missed_offers') IS DISTINCT FROM (to_jsonb(NEW) - 'missed_offers'))
  EXECUTE FUNCTION facts_changed();
