-- The marketing scope: a key for the marketers' pages (read everything, steer leads).
ALTER TABLE api_keys DROP CONSTRAINT api_keys_scopes_check;
ALTER TABLE api_keys ADD CONSTRAINT api_keys_scopes_check CHECK (scopes <@ ARRAY['ingest', 'read', 'sales', 'marketing', 'admin']::text[] AND cardinality(scopes) > 0);
