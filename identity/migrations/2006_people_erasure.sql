-- A person's erasure (GDPR art. 17, `collab privacy erase`): the application overwrites
-- their name and e-mail in the directory with the erased marks and revokes them, recorded
-- in people_changes. Beside revoking and the calendar link, that is all it may rewrite.
DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'collab_app') THEN
        GRANT UPDATE (name, email) ON people TO collab_app;
    END IF;
END
$$;

-- an erasure is a change of the directory like a registration or a revocation
ALTER TABLE people_changes DROP CONSTRAINT people_changes_change_check;
ALTER TABLE people_changes ADD CONSTRAINT people_changes_change_check
    CHECK (change IN ('registered', 'revoked', 'erased'));
