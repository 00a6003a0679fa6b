-- API keys: only a hash of each key is kept; a key carries scopes (ingest, read, sales, admin).
CREATE TABLE api_keys (
  id          text PRIMARY KEY,
  name        text NOT NULL,
  key_hash    text NOT NULL UNIQUE,
  scopes      text[] NOT NULL CHECK (scopes <@ ARRAY['ingest', 'read', 'sales', 'admin']::text[] AND cardinality(scopes) > 0),
  created_at  timestamptz NOT NULL DEFAULT now(),
  revoked_at  timestamptz
);
