-- People who use the service, each with one role, and their personal tokens (hashed).
CREATE TABLE people (
    person_id  text PRIMARY KEY,
    name       text NOT NULL,
    email      text NOT NULL,
    lab        text NOT NULL,
    country    text NOT NULL,
    role       text NOT NULL,
    token_hash bytea NOT NULL UNIQUE,
    -- a separate, read-only token for the calendar feed: its URL ends up in calendar apps
    calendar_hash bytea NOT NULL UNIQUE,
    created_at timestamptz NOT NULL DEFAULT now(),
    revoked_at timestamptz
);

DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'collab_app') THEN
        GRANT SELECT, INSERT, UPDATE ON people TO collab_app;
    END IF;
END
$$;
