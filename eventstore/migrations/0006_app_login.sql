-- The application logs in as collab_app itself, instead of logging in as the schema owner
-- and switching (SET ROLE, which RESET ROLE undoes). Migrations keep running as the owner,
-- on a connection of their own; the store's pool then connects as collab_app
-- (eventstore/postgres.py PostgresEventStore.connect).
--
-- collab_app: LOGIN, and nothing that lets it become more (no SUPERUSER, CREATEROLE,
-- CREATEDB, REPLICATION, BYPASSRLS); the store checks again at every start and refuses a
-- role that could. Its password is not set here: with a password-checking server the
-- store sets it from the settings (COLLAB_DATABASE_APP_PASSWORD) the first time a login
-- fails; the embedded server trusts its unix socket.
--
-- Tolerant, like 0003: without the right to alter the role (it does not exist, or another
-- user administers it) the migration only grants what the owner owns, and the store
-- falls back to running as the connecting user, with a warning.
--
-- Grants are restated here (0003 may have been skipped when the role did not exist yet).
-- A table added by a later (or concurrently written) migration grants its own privileges
-- when the role exists, the pattern of 0005_ledger.sql; the to_regclass guards below let
-- this file run whichever of the two is applied first.
DO $$
DECLARE
    v_superuser boolean;
BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'collab_app') THEN
        RAISE NOTICE 'role collab_app does not exist: the store will run as %', current_user;
        RETURN;
    END IF;
    SELECT rolsuper INTO v_superuser FROM pg_roles WHERE rolname = current_user;

    IF NOT (SELECT rolcanlogin FROM pg_roles WHERE rolname = 'collab_app') THEN
        BEGIN
            IF v_superuser THEN
                ALTER ROLE collab_app WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE
                    NOREPLICATION NOBYPASSRLS;
            ELSE
                -- a CREATEROLE user may only set the attributes it holds itself
                ALTER ROLE collab_app WITH LOGIN NOCREATEROLE;
            END IF;
        EXCEPTION
            WHEN insufficient_privilege THEN
                RAISE NOTICE 'cannot make collab_app LOGIN: % does not administer it',
                    current_user;
            WHEN internal_error THEN
                -- "tuple concurrently updated": the migration of another database of the
                -- cluster altered the role at the same moment
                IF NOT (SELECT rolcanlogin FROM pg_roles WHERE rolname = 'collab_app') THEN
                    RAISE;
                END IF;
        END;
    END IF;

    EXECUTE format('GRANT CONNECT ON DATABASE %I TO collab_app', current_database());

    REVOKE ALL ON events, streams, schema_migrations FROM collab_app;
    REVOKE ALL ON SEQUENCE events_position_seq FROM collab_app;
    GRANT SELECT, INSERT ON events TO collab_app;
    GRANT SELECT, INSERT, UPDATE ON streams TO collab_app;
    GRANT USAGE ON SEQUENCE events_position_seq TO collab_app;
    GRANT SELECT ON schema_migrations TO collab_app;

    IF to_regclass('ledger') IS NOT NULL THEN
        REVOKE ALL ON ledger FROM collab_app;
        GRANT SELECT, INSERT ON ledger TO collab_app;
    END IF;
    IF to_regclass('ledger_checkpoint') IS NOT NULL THEN
        REVOKE ALL ON ledger_checkpoint FROM collab_app;
        GRANT SELECT, INSERT, UPDATE ON ledger_checkpoint TO collab_app;
    END IF;
END;
$$;
