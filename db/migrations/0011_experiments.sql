-- A/B tests of message steps: the experiment (`<sequence>/<step>`) and the variant a send exposed
-- its lead to. A lead's first send of an experiment is its exposure.
ALTER TABLE sends ADD COLUMN experiment_id text, ADD COLUMN variant text;
CREATE INDEX sends_experiment_idx ON sends (experiment_id, variant) WHERE experiment_id IS NOT NULL;
