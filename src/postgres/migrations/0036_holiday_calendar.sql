-- The work calendar (issue 25): public holidays and make-up workdays (调休) by local date, and
-- the agents a hotline rings on a holiday. works_as: the weekday whose weekly roster pattern a
-- make-up workday follows (NULL: Monday, src/domain/work-calendar.ts); only on workdays.
CREATE TABLE holiday_days (
  date        date PRIMARY KEY,
  kind        text NOT NULL CHECK (kind IN ('holiday', 'workday')),
  name        text NOT NULL,
  works_as    text CHECK (works_as IN ('monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday', 'sunday')),
  updated_at  timestamptz NOT NULL,
  CHECK (works_as IS NULL OR kind = 'workday')
);

-- The standby group: on a holiday these agents are on duty for the hotline all day (unless on
-- leave or given a dated day off), whether or not they are in its group.
ALTER TABLE hotlines ADD COLUMN standby_agent_ids uuid[] NOT NULL DEFAULT '{}';
