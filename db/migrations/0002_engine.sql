-- What the lead and handoff workflows write: published sequence versions (so a lead pinned to an
-- old version finds it after a deploy), the audit trail of every decision, sales reps, and the
-- lead's current tier, score and sequence for lists and funnels.

CREATE TABLE sequence_versions (
  version       text PRIMARY KEY,
  sequence_id   text NOT NULL,
  definition    jsonb NOT NULL,
  published_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX sequence_versions_sequence_idx ON sequence_versions (sequence_id, published_at);

-- Why the engine did what it did: sequence entries and exits, deferred and skipped touches,
-- consent changes, handoff notifications. Activity retries write the same row once.
CREATE TABLE lead_activity (
  id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  idempotency_key  text NOT NULL UNIQUE,
  lead_id          text NOT NULL,
  kind             text NOT NULL,
  detail           jsonb NOT NULL DEFAULT '{}',
  at               timestamptz NOT NULL
);
CREATE INDEX lead_activity_lead_idx ON lead_activity (lead_id, at);

CREATE TABLE reps (
  id                text PRIMARY KEY,
  name              text NOT NULL,
  email             text,
  -- Countries (ISO codes) and segments a rep covers; empty means any.
  territories       text[] NOT NULL DEFAULT '{}',
  segments          text[] NOT NULL DEFAULT '{}',
  manager           text,
  active            boolean NOT NULL DEFAULT true,
  last_assigned_at  timestamptz
);

ALTER TABLE leads
  ADD COLUMN tier         text,
  ADD COLUMN total_score  real,
  ADD COLUMN sequence_id  text;
