-- A notification on `directory_changed` after every statement that changes people or ends
-- sessions (identity.remembered): the processes answering requests keep who a token or a
-- session names, and drop it all when told. Sent when the transaction commits, to every
-- listener. Inserts are not announced: only what was found is kept, and a new row makes
-- no kept answer wrong.
CREATE FUNCTION directory_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('directory_changed', TG_TABLE_NAME);
    RETURN NULL;
END
$$;

CREATE TRIGGER people_changed AFTER UPDATE OR DELETE OR TRUNCATE ON people
    FOR EACH STATEMENT EXECUTE FUNCTION directory_changed();
CREATE TRIGGER web_sessions_changed AFTER UPDATE OR DELETE OR TRUNCATE ON web_sessions
    FOR EACH STATEMENT EXECUTE FUNCTION directory_changed();
