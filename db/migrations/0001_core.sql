-- The core tables: leads, their events, stage history, the sends ledger, sales handoffs and
-- suppressions. Lead ids are the customer's own identifiers, hence text.

CREATE TABLE leads (
  id            text PRIMARY KEY,
  email         text,
  phone         text,
  first_name    text,
  last_name     text,
  company       text,
  title         text,
  industry      text,
  company_size  integer CHECK (company_size >= 0),
  country       text,
  timezone      text,
  source        text,
  consent       jsonb NOT NULL DEFAULT '{}',
  attributes    jsonb NOT NULL DEFAULT '{}',
  stage         text NOT NULL DEFAULT 'lead',
  segment       text,
  holdout       boolean NOT NULL DEFAULT false,
  created_at    timestamptz NOT NULL DEFAULT now(),
  updated_at    timestamptz NOT NULL DEFAULT now(),
  -- Erasure keeps the row (for anonymous funnel counts) but clears personal data.
  erased_at     timestamptz
);
CREATE INDEX leads_stage_idx ON leads (stage);
CREATE INDEX leads_source_idx ON leads (source);

-- Every behavioural event once: the event id is the deduplication key. `seq` orders events per lead
-- for the relay; `delivered_at` stays null until the lead workflow has been signalled.
CREATE TABLE events (
  event_id      text PRIMARY KEY,
  seq           bigint GENERATED ALWAYS AS IDENTITY UNIQUE,
  lead_id       text NOT NULL,
  type          text NOT NULL,
  occurred_at   timestamptz NOT NULL,
  properties    jsonb NOT NULL DEFAULT '{}',
  received_at   timestamptz NOT NULL DEFAULT now(),
  delivered_at  timestamptz
);
CREATE INDEX events_lead_idx ON events (lead_id, occurred_at);
CREATE INDEX events_pending_idx ON events (lead_id, seq) WHERE delivered_at IS NULL;

CREATE TABLE stage_changes (
  id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  -- Activity retries write the same change again; the key makes the second write a no-op.
  idempotency_key  text NOT NULL UNIQUE,
  lead_id          text NOT NULL,
  from_stage       text,
  to_stage         text NOT NULL,
  reason           text NOT NULL,
  changed_at       timestamptz NOT NULL
);
CREATE INDEX stage_changes_lead_idx ON stage_changes (lead_id, changed_at);
CREATE INDEX stage_changes_to_idx ON stage_changes (to_stage, changed_at);

-- The sends ledger: one row per touch, claimed before the provider call and marked after, so a
-- retried or duplicated send command never reaches the provider twice.
CREATE TABLE sends (
  id                bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  idempotency_key   text NOT NULL UNIQUE,
  lead_id           text NOT NULL,
  workflow_id       text NOT NULL,
  sequence_id       text NOT NULL,
  sequence_version  text NOT NULL,
  step_id           text NOT NULL,
  touch_number      integer NOT NULL,
  channel           text NOT NULL CHECK (channel IN ('email', 'sms', 'in_app', 'webhook')),
  template          text,
  status            text NOT NULL CHECK (status IN ('claimed', 'sent', 'failed', 'suppressed')),
  provider_id       text,
  -- Why the touch went out (rule, score parts, tier, caps consulted), or why it did not.
  reason            jsonb NOT NULL DEFAULT '{}',
  -- URLs recorded for this send: a click redirect may only go to one of these.
  links             jsonb NOT NULL DEFAULT '[]',
  error             text,
  claimed_at        timestamptz NOT NULL DEFAULT now(),
  completed_at      timestamptz
);
CREATE INDEX sends_lead_idx ON sends (lead_id, claimed_at);
CREATE INDEX sends_sequence_idx ON sends (sequence_id, step_id);

-- Sales handoff tasks; the id is the handoff workflow id (handoff-<leadId>-<n>).
CREATE TABLE handoffs (
  id            text PRIMARY KEY,
  lead_id       text NOT NULL,
  status        text NOT NULL CHECK (status IN ('open', 'accepted', 'rejected', 'meeting_booked', 'no_response')),
  owner         text,
  escalations   integer NOT NULL DEFAULT 0,
  context       jsonb NOT NULL DEFAULT '{}',
  reason_code   text,
  note          text,
  opened_at     timestamptz NOT NULL DEFAULT now(),
  sla_due_at    timestamptz,
  closed_at     timestamptz,
  updated_at    timestamptz NOT NULL DEFAULT now()
);
-- Never two open handoffs for one lead.
CREATE UNIQUE INDEX handoffs_one_open_per_lead ON handoffs (lead_id) WHERE status = 'open';
CREATE INDEX handoffs_status_owner_idx ON handoffs (status, owner);

-- Channels a lead must not be contacted on, checked right before every provider call.
CREATE TABLE suppressions (
  lead_id     text NOT NULL,
  channel     text NOT NULL CHECK (channel IN ('email', 'sms', 'in_app', 'webhook', 'all')),
  reason      text NOT NULL,
  source      text NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (lead_id, channel)
);
