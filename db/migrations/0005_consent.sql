-- Consent as facts: every change of a lead's consent on a channel, whatever door it came through,
-- with its source, its evidence and when it was given. The fact that stands on a channel is the
-- latest; at the same instant a refusal wins. These replace the suppressions table, whose rows
-- become refusals as of their time.

CREATE TABLE consent_records (
  id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  -- The same fact recorded by two doors (the API and the engine) is one row.
  idempotency_key  text NOT NULL UNIQUE,
  lead_id          text NOT NULL,
  channel          text NOT NULL CHECK (channel IN ('email', 'sms', 'in_app')),
  granted          boolean NOT NULL,
  source           text NOT NULL,
  evidence         jsonb NOT NULL DEFAULT '{}',
  at               timestamptz NOT NULL,
  recorded_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX consent_records_standing_idx ON consent_records (lead_id, channel, at DESC, granted);

INSERT INTO consent_records (idempotency_key, lead_id, channel, granted, source, evidence, at)
SELECT 'suppression/' || s.lead_id || '/' || c.channel, s.lead_id, c.channel, false, s.source, jsonb_build_object('reason', s.reason), s.created_at
FROM suppressions s
CROSS JOIN LATERAL unnest(CASE WHEN s.channel = 'all' THEN ARRAY['email', 'sms', 'in_app'] ELSE ARRAY[s.channel] END) AS c(channel)
WHERE c.channel IN ('email', 'sms', 'in_app');

DROP TABLE suppressions;
