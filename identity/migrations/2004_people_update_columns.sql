-- Least privilege on the directory: the application changes a person's row only to revoke
-- them (revoked_at) and to issue a new calendar token (calendar_hash). A person's role,
-- API token, name, e-mail and lab are set when they are registered and never rewritten by
-- the application. (`collab users` runs on the application's connection: registering is an
-- INSERT, revoking the revoked_at column, each recorded in people_changes.)
DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'collab_app') THEN
        REVOKE UPDATE ON people FROM collab_app;
        GRANT UPDATE (revoked_at, calendar_hash) ON people TO collab_app;
    END IF;
END
$$;
