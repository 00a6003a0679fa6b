-- Catalog versions: what every lead worker ran on, recorded at its start (`nurture diff` compares a
-- candidate with the live one). A version is the hash of its snapshot: the model, each sequence's
-- latest definition, the routing, and a digest of every template part. Started again on a version
-- recorded before, it becomes live again.
CREATE TABLE catalog_versions (
  version       text PRIMARY KEY,
  snapshot      jsonb NOT NULL,
  published_at  timestamptz NOT NULL DEFAULT now(),
  live_since    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX catalog_versions_live_idx ON catalog_versions (live_since DESC);
