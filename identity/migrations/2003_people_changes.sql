-- Every change to the directory (a person registered, a token revoked), with the operator
-- who made it: the OS account that ran `collab users` and the database role it used.
-- Appended, never changed: the application role may only read and insert.
CREATE TABLE people_changes (
    change_id     bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    person_id     text NOT NULL,
    change        text NOT NULL CHECK (change IN ('registered', 'revoked')),
    role          text,
    operator      text NOT NULL,
    database_user text NOT NULL DEFAULT session_user,
    changed_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX people_changes_person ON people_changes (person_id, change_id);

DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'collab_app') THEN
        GRANT SELECT, INSERT ON people_changes TO collab_app;
    END IF;
END
$$;
