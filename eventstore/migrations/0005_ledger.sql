-- The ledger: one leaf a sealed event, in the global feed's order, the leaves of a Merkle
-- tree (RFC 9162) whose signed heads leave the database (eventstore/ledger.py). A sealer
-- assigns indexes as events become visible in the feed, so writers never queue on a
-- global lock. The leaf covers every column a person sees, recorded time included.
CREATE TABLE ledger (
    ledger_index bigint PRIMARY KEY CHECK (ledger_index >= 0),
    event_id     uuid NOT NULL UNIQUE,
    leaf_hash    bytea NOT NULL CHECK (length(leaf_hash) = 32)
);

-- where the sealer stands in the feed, and how many leaves it has sealed
CREATE TABLE ledger_checkpoint (
    name     text PRIMARY KEY,
    tx_id    bigint NOT NULL,
    position bigint NOT NULL,
    size     bigint NOT NULL CHECK (size >= 0)
);

-- append-only, as events are (0001_events.sql)
CREATE FUNCTION ledger_refuse_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'the ledger is append-only: % refused', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$;
CREATE TRIGGER ledger_no_update BEFORE UPDATE ON ledger
    FOR EACH ROW EXECUTE FUNCTION ledger_refuse_change();
CREATE TRIGGER ledger_no_delete BEFORE DELETE ON ledger
    FOR EACH ROW EXECUTE FUNCTION ledger_refuse_change();
CREATE TRIGGER ledger_no_truncate BEFORE TRUNCATE ON ledger
    FOR EACH STATEMENT EXECUTE FUNCTION ledger_refuse_change();

DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'collab_app') THEN
        GRANT SELECT, INSERT ON ledger TO collab_app;
        GRANT SELECT, INSERT, UPDATE ON ledger_checkpoint TO collab_app;
    END IF;
END
$$;
