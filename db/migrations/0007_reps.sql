-- Reps as first-class data (issue: the sales desk): how they are alerted, what they cover, their
-- share of the round robin, capacity, working hours and absences; teams with their manager and SLA;
-- and why each handoff went to whom, written once per assignment round (a retried activity reads
-- its first answer back).
CREATE TABLE teams (
  id          text PRIMARY KEY,
  name        text NOT NULL,
  manager     text,
  -- Working time a rep of the team has to act on a handoff, e.g. '1h'.
  sla         text NOT NULL DEFAULT '1h',
  created_at  timestamptz NOT NULL DEFAULT now(),
  updated_at  timestamptz NOT NULL DEFAULT now()
);

ALTER TABLE reps
  ADD COLUMN phone              text,
  ADD COLUMN channels           jsonb NOT NULL DEFAULT '{"email": true, "sms": false}',
  ADD COLUMN company_size_min   integer,
  ADD COLUMN company_size_max   integer,
  ADD COLUMN weight             integer NOT NULL DEFAULT 1 CHECK (weight BETWEEN 1 AND 100),
  ADD COLUMN capacity           integer CHECK (capacity >= 0),
  ADD COLUMN working_hours      jsonb,
  ADD COLUMN out_of_office      jsonb NOT NULL DEFAULT '[]',
  ADD COLUMN team               text REFERENCES teams (id),
  ADD COLUMN assigned           integer NOT NULL DEFAULT 0,
  ADD COLUMN created_at         timestamptz NOT NULL DEFAULT now(),
  ADD COLUMN updated_at         timestamptz NOT NULL DEFAULT now();

CREATE TABLE handoff_assignments (
  handoff_id  text NOT NULL,
  -- 0 for the first owner, n for the n-th escalation.
  round       integer NOT NULL,
  owner       text,
  decision    jsonb NOT NULL,
  at          timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (handoff_id, round)
);
