-- A count of the writes to the portfolio and the deadlines, moved by every statement that
-- writes either (the projector's batches, a rebuild, a refold after an erasure, whatever
-- else writes read models). An officer's calendar feed holds deadlines of every project:
-- its version was a digest of every portfolio row (65 ms at 100,000 projects, at each poll
-- and each cold build); this count says as much, read in one row.

CREATE TABLE read_model_changes (
    only_row boolean PRIMARY KEY DEFAULT true CHECK (only_row),
    changes  bigint NOT NULL
);
INSERT INTO read_model_changes (changes) VALUES (0);

CREATE FUNCTION read_model_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE read_model_changes SET changes = changes + 1;
    RETURN NULL;
END
$$;

CREATE TRIGGER portfolio_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON portfolio
    FOR EACH STATEMENT EXECUTE FUNCTION read_model_changed();
CREATE TRIGGER deadlines_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON deadlines
    FOR EACH STATEMENT EXECUTE FUNCTION read_model_changed();

DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'collab_app') THEN
        GRANT SELECT, UPDATE ON read_model_changes TO collab_app;
    END IF;
END
$$;
