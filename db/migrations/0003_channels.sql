-- SMS, in-app and webhook delivery: where each send went and what the provider later said about it,
-- addresses their owner opted out (an SMS STOP is about the phone, whichever leads share it), and
-- the in-app messages leads read in the product.

ALTER TABLE sends
  -- The normalised address the message went to (E.164 for SMS): inbound STOPs find their leads by it.
  ADD COLUMN recipient            text,
  -- The provider's status callbacks: queued, sent, delivered, undelivered, failed.
  ADD COLUMN delivery_status      text,
  ADD COLUMN delivery_error       text,
  ADD COLUMN delivery_updated_at  timestamptz;
CREATE INDEX sends_provider_idx ON sends (channel, provider_id) WHERE provider_id IS NOT NULL;
CREATE INDEX sends_recipient_idx ON sends (channel, recipient) WHERE recipient IS NOT NULL;
CREATE INDEX leads_phone_idx ON leads (phone) WHERE phone IS NOT NULL;

-- An address opted out by its owner: checked with the lead's own suppressions before every send,
-- so a lead that first appears after the STOP is not texted either.
CREATE TABLE suppressed_addresses (
  channel     text NOT NULL CHECK (channel IN ('email', 'sms')),
  address     text NOT NULL,
  reason      text NOT NULL,
  source      text NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (channel, address)
);

-- One row per in-app touch; the send key makes a retried delivery store it once.
CREATE TABLE in_app_messages (
  id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  send_key      text NOT NULL UNIQUE REFERENCES sends (idempotency_key),
  lead_id       text NOT NULL,
  title         text,
  body          text NOT NULL,
  created_at    timestamptz NOT NULL DEFAULT now(),
  seen_at       timestamptz,
  dismissed_at  timestamptz
);
CREATE INDEX in_app_messages_lead_idx ON in_app_messages (lead_id, created_at);
