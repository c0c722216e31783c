-- Web sessions, kept server-side so that signing out (or revoking the person) ends them
-- everywhere at once; the cookie carries only the signed session id.
CREATE TABLE web_sessions (
    session_id text PRIMARY KEY,
    person_id  text NOT NULL REFERENCES people (person_id),
    csrf       text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz NOT NULL,
    ended_at   timestamptz
);
CREATE INDEX web_sessions_person ON web_sessions (person_id);

DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'collab_app') THEN
        GRANT SELECT, INSERT, UPDATE ON web_sessions TO collab_app;
    END IF;
END
$$;
