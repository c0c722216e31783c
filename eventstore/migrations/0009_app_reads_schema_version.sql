-- collab_app reads which migrations are applied: a service that logs in with the
-- application's URL alone (COLLAB_DATABASE_APP_URL) never migrates, and refuses to start
-- on a schema older than its code instead of failing later on a missing column.
DO $$
BEGIN
    IF EXISTS (SELECT FROM pg_roles WHERE rolname = 'collab_app') THEN
        GRANT SELECT ON schema_migrations TO collab_app;
    END IF;
END
$$;
