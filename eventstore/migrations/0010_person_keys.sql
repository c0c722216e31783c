-- Crypto-shredding (GDPR erasure with a record that still verifies): each person's name and
-- e-mail are sealed in events under a data key of their own (eventstore/shredding.py),
-- kept here, apart from the events. Erasing a person destroys their key: the events keep
-- their ciphertext, so every hash and every proof stays as it was, and nobody can read the
-- person back. A destroyed key is never made again: whatever names them later is stored
-- as erased.
CREATE TABLE person_keys (
    person_id    text PRIMARY KEY,
    data_key     bytea CHECK (data_key IS NULL OR length(data_key) = 32),
    created_at   timestamptz NOT NULL DEFAULT now(),
    destroyed_at timestamptz,
    CHECK ((data_key IS NULL) = (destroyed_at IS NOT NULL))
);

DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'collab_app') THEN
        -- the application seals, opens and destroys; it never deletes a row (a person's
        -- erasure stays known, and no key is made again for them)
        GRANT SELECT, INSERT, UPDATE (data_key, destroyed_at) ON person_keys TO collab_app;
    END IF;
END
$$;
