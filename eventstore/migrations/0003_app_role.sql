-- A least-privilege role for the running application: it may read and append events and
-- move stream heads, nothing else. Even with the append-only triggers disabled, a session
-- acting as collab_app cannot UPDATE, DELETE or TRUNCATE events.
--
-- Roles are cluster-wide: the role may already exist (another database of the cluster,
-- or created by an administrator), and two databases may be migrated at the same moment,
-- hence the tolerant CREATE. Without the right to create roles the migration only grants
-- if the role exists, and otherwise does nothing: the store then runs as the connecting
-- user. NOLOGIN: the application connects as its usual user and switches to this role.
DO $$
DECLARE
    v_may_create boolean;
    v_superuser boolean;
BEGIN
    SELECT rolsuper OR rolcreaterole, rolsuper INTO v_may_create, v_superuser
        FROM pg_roles WHERE rolname = current_user;

    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'collab_app') THEN
        IF NOT v_may_create THEN
            RAISE NOTICE 'role collab_app not created: % may not create roles', current_user;
            RETURN;
        END IF;
        BEGIN
            CREATE ROLE collab_app NOLOGIN;
        EXCEPTION WHEN duplicate_object OR unique_violation THEN
            NULL;  -- created meanwhile by the migration of another database
        END;
    END IF;

    REVOKE ALL ON events, streams, schema_migrations FROM collab_app;
    REVOKE ALL ON SEQUENCE events_position_seq FROM collab_app;
    GRANT SELECT, INSERT ON events TO collab_app;
    GRANT SELECT, INSERT, UPDATE ON streams TO collab_app;
    GRANT USAGE ON SEQUENCE events_position_seq TO collab_app;
    GRANT SELECT ON schema_migrations TO collab_app;

    -- A superuser may always SET ROLE; a role-creating user needs the membership.
    IF NOT v_superuser THEN
        BEGIN
            GRANT collab_app TO CURRENT_USER;
        EXCEPTION WHEN insufficient_privilege THEN
            RAISE NOTICE 'cannot grant collab_app to %: the store will run as %',
                current_user, current_user;
        END;
    END IF;
END;
$$;
