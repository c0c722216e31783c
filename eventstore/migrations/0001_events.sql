-- The event log and the per-stream head row.
--
-- events: one row per fact, never updated or deleted (see the triggers below).
--   position  global sequence; unique, but NOT a safe reading order on its own: a
--             transaction can take a lower position and commit after a higher one.
--   tx_id     the writing transaction (xid8); read_all orders by (tx_id, position) and
--             only returns transactions older than every running one, which is safe.
--   hash      sha256(prev_hash || canonical bytes), chained per stream (tamper evidence).
-- streams: the row appends lock (SELECT ... FOR UPDATE) to serialise writers of one
--   stream; it carries the version and last hash the next append builds on.

CREATE SEQUENCE events_position_seq AS bigint;

CREATE TABLE streams (
    stream_id text PRIMARY KEY,
    version integer NOT NULL DEFAULT 0 CHECK (version >= 0),
    last_hash bytea
);

CREATE TABLE events (
    event_id uuid PRIMARY KEY,
    stream_id text NOT NULL,
    version integer NOT NULL CHECK (version >= 1),
    position bigint NOT NULL DEFAULT nextval('events_position_seq'),
    tx_id xid8 NOT NULL DEFAULT pg_current_xact_id(),
    type text NOT NULL,
    schema_version integer NOT NULL CHECK (schema_version >= 1),
    occurred_at timestamptz NOT NULL,
    recorded_at timestamptz NOT NULL DEFAULT clock_timestamp(),
    actor_id text NOT NULL,
    actor_role text NOT NULL,
    reason text,
    data jsonb NOT NULL,
    hash bytea NOT NULL,
    prev_hash bytea,
    CONSTRAINT events_stream_version_key UNIQUE (stream_id, version)
);

ALTER SEQUENCE events_position_seq OWNED BY events.position;

-- The global feed's order and its keyset cursor.
CREATE INDEX events_tx_id_position_idx ON events (tx_id, position);

-- Append-only. Row triggers for UPDATE/DELETE, a statement trigger for TRUNCATE (which
-- fires no row triggers). They also bind the owner and superusers; only someone who
-- disables them on purpose (ALTER TABLE ... DISABLE TRIGGER) gets past, and the hash
-- chain then shows what changed.
CREATE FUNCTION events_refuse_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'events is append-only: % refused', TG_OP
        USING ERRCODE = 'restrict_violation',
              HINT = 'Record a new (compensating) event instead of changing a stored one.';
END;
$$;

CREATE TRIGGER events_no_update BEFORE UPDATE ON events
    FOR EACH ROW EXECUTE FUNCTION events_refuse_change();
CREATE TRIGGER events_no_delete BEFORE DELETE ON events
    FOR EACH ROW EXECUTE FUNCTION events_refuse_change();
CREATE TRIGGER events_no_truncate BEFORE TRUNCATE ON events
    FOR EACH STATEMENT EXECUTE FUNCTION events_refuse_change();
