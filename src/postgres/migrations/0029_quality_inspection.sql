-- Quality inspection (质检, 001 第三十九条): the checklist inspectors score calls against, and
-- one review per answered call. The four record items (answered-in-time, apology, handover,
-- not-hung-up-first) are filled in from the call's record by src/domain/quality-inspection.ts.

-- The checklist, in the order it is shown; editable (PUT /api/qc/checklist). A review keeps its
-- own copy of the items as they were, so a later change never moves an old score.
CREATE TABLE qc_checklist_items (
  id        text PRIMARY KEY CHECK (id ~ '^[a-z0-9][a-z0-9-]{0,39}$'),
  label     text NOT NULL,
  points    integer NOT NULL CHECK (points BETWEEN 1 AND 100),
  position  integer NOT NULL
);
INSERT INTO qc_checklist_items (id, label, points, position) VALUES
  ('answered-in-time', '三声内接听（10秒内） · Answered within 10 s', 10, 1),
  ('greeting', '问候语：“您好，*客服中心” · Greeting naming the service', 15, 2),
  ('apology', '超时接听先致歉 · Apologised when the caller waited', 10, 3),
  ('courtesy', '礼貌回答、普通话 · Polite answers in Mandarin', 15, 4),
  ('anything-else', '询问“还有其他需要吗” · Asked "anything else?"', 10, 5),
  ('thanks', '致谢 · Thanked the caller', 10, 6),
  ('handover', '转接满意度评价 · Handed over to the rating', 15, 7),
  ('not-hung-up-first', '客户先挂机 · Did not hang up first', 15, 8);

-- score: points given / points possible, as a percentage. call_started_at places the review in the
-- month of the call (the monthly grade's `quality` part). items: [{ id, label, points, score, source, note }].
CREATE TABLE qc_reviews (
  call_id          uuid PRIMARY KEY REFERENCES calls (id),
  agent_id         uuid NOT NULL REFERENCES agents (id),
  call_started_at  timestamptz NOT NULL,
  reviewed_by      text NOT NULL,
  reviewed_at      timestamptz NOT NULL,
  score            double precision NOT NULL CHECK (score BETWEEN 0 AND 100),
  items            jsonb NOT NULL
);
CREATE INDEX qc_reviews_agent_started ON qc_reviews (agent_id, call_started_at);
CREATE INDEX qc_reviews_started ON qc_reviews (call_started_at);
