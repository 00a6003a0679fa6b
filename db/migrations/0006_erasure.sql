-- Erasure that sticks: a keyed hash of each identifier of an erased lead (its email address, its
-- phone number), so the same person is refused under any lead id later, without keeping the
-- identifier itself. The hash key is the deployment's NURTURE_ERASURE_SECRET.
CREATE TABLE erased_identifiers (
  kind       text NOT NULL CHECK (kind IN ('email', 'phone')),
  hash       text NOT NULL,
  erased_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (kind, hash)
);
