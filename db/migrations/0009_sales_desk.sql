-- The sales inbox in the browser: sign-in links mailed to a rep (only a hash of each is kept; a
-- link signs in once, within its lifetime), and every change to a handoff task announced on
-- `handoff_changes`, whichever process wrote it, so open inboxes update without a reload.
CREATE TABLE rep_sign_ins (
  token_hash  text PRIMARY KEY,
  rep_id      text NOT NULL REFERENCES reps (id),
  expires_at  timestamptz NOT NULL,
  used_at     timestamptz,
  created_at  timestamptz NOT NULL DEFAULT now()
);

CREATE FUNCTION announce_handoff_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('handoff_changes', json_build_object('id', NEW.id, 'owner', NEW.owner, 'previousOwner', CASE WHEN TG_OP = 'UPDATE' THEN OLD.owner END)::text);
  RETURN NEW;
END;
$$;

CREATE TRIGGER handoffs_announce AFTER INSERT OR UPDATE ON handoffs FOR EACH ROW EXECUTE FUNCTION announce_handoff_change();

-- The inbox lists open tasks by SLA due time.
CREATE INDEX handoffs_open_due_idx ON handoffs (sla_due_at) WHERE status = 'open';

-- A key made for one rep (scope sales) reads and decides that rep's tasks only, and stops working
-- when the rep is deactivated.
ALTER TABLE api_keys ADD COLUMN rep_id text REFERENCES reps (id);
