-- The alerts that tell sales of a handoff, sent exactly once like touches: claimed before the
-- provider is called, marked after; a retried activity finds the claim and does not send again.
CREATE TABLE alerts (
  idempotency_key  text PRIMARY KEY,
  handoff_id       text NOT NULL,
  rep              text NOT NULL,
  kind             text NOT NULL CHECK (kind IN ('assigned', 'breach')),
  channel          text NOT NULL CHECK (channel IN ('email', 'sms', 'webhook')),
  status           text NOT NULL CHECK (status IN ('claimed', 'sent', 'failed')),
  provider_id      text,
  error            text,
  claimed_at       timestamptz NOT NULL DEFAULT now(),
  completed_at     timestamptz
);
CREATE INDEX alerts_handoff_idx ON alerts (handoff_id);
