-- Re-anchoring statements: when events recorded before sealing began are sealed in place
-- (eventstore/resealing.py), their hashes, their streams' chains and the ledger's leaves
-- change, and a digest taken before no longer matches the ledger by itself. Each
-- statement, signed with the ledger's key, keeps the ledger's head before and after and,
-- for each event rewritten, its leaf hash before and after (RFC 9162 leaf hashes: they
-- reveal no personal data). `collab audit verify --digest` carries an older digest across
-- them (eventstore/reanchoring.py).
CREATE TABLE ledger_reanchorings (
    reanchoring_id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    recorded_at    timestamptz NOT NULL DEFAULT now(),
    statement      text NOT NULL  -- the signed statement, JSON
);

-- append-only, as the ledger is (0005_ledger.sql)
CREATE TRIGGER ledger_reanchorings_no_update BEFORE UPDATE ON ledger_reanchorings
    FOR EACH ROW EXECUTE FUNCTION ledger_refuse_change();
CREATE TRIGGER ledger_reanchorings_no_delete BEFORE DELETE ON ledger_reanchorings
    FOR EACH ROW EXECUTE FUNCTION ledger_refuse_change();
CREATE TRIGGER ledger_reanchorings_no_truncate BEFORE TRUNCATE ON ledger_reanchorings
    FOR EACH STATEMENT EXECUTE FUNCTION ledger_refuse_change();

DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'collab_app') THEN
        -- the application reads them to verify; only the owner, who rewrites the events,
        -- records one
        GRANT SELECT ON ledger_reanchorings TO collab_app;
    END IF;
END
$$;
