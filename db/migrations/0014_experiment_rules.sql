-- A/B tests of waits: a lead's exposure is the engine's `exposed` decision (a message test's is its
-- send), kept in lead_activity; the experiment results read them by experiment.
CREATE INDEX lead_activity_exposed_idx ON lead_activity ((detail->>'experimentId'), lead_id, at) WHERE kind = 'exposed';

-- Winners that a test's own rule (`promote` on its step) chose: one per experiment, written once by
-- whichever lead worker saw the rule hold first; every lead worker builds its catalog with them.
CREATE TABLE experiment_promotions (
  experiment_id  text PRIMARY KEY,
  variant        text NOT NULL,
  -- The rule and the results it was decided on, as they stood.
  rule           jsonb NOT NULL,
  results        jsonb NOT NULL,
  promoted_at    timestamptz NOT NULL DEFAULT now()
);
