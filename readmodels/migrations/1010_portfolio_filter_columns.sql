-- The portfolio's filters by institute and by year read a few fields of each project's
-- folded state. The state is a document of several KiB that PostgreSQL keeps compressed out
-- of line (TOAST): reading one field of it for every project of a list fetched and
-- decompressed every document (at 100,000 projects a year filter took over a second). Those
-- fields are kept beside the document, as generated columns PostgreSQL fills from it on
-- every write (the projector writes the state alone, as before), so a filter reads a few
-- bytes of each row and never the document.

-- An instant of a state: the domain writes ISO 8601 with its offset (pydantic's JSON of an
-- aware datetime), which reads the same whatever the session's TimeZone or DateStyle, so
-- the cast may be declared immutable (a generated column needs that) and is done once a
-- write, not once a row at every read.
CREATE FUNCTION read_model_instant(iso text) RETURNS timestamptz
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    RETURN iso::timestamptz;

ALTER TABLE project_states
    ADD COLUMN lead_institute text
        GENERATED ALWAYS AS (state->'application'->>'institute') STORED,
    ADD COLUMN submitted_at timestamptz
        GENERATED ALWAYS AS (read_model_instant(state->>'submitted_at')) STORED,
    ADD COLUMN last_event_at timestamptz
        GENERATED ALWAYS AS (read_model_instant(state->>'last_event_at')) STORED,
    ADD COLUMN closed_at timestamptz
        GENERATED ALWAYS AS (read_model_instant(state->>'closed_at')) STORED,
    ADD COLUMN next_term_starts_at timestamptz
        GENERATED ALWAYS AS (read_model_instant(state->>'next_term_starts_at')) STORED;

-- the sums of a list (its totals) read from the index alone
DROP INDEX portfolio_instrument_phase;
CREATE INDEX portfolio_instrument_phase ON portfolio (instrument, phase)
    INCLUDE (total_awarded_eur, released_eur, withheld_eur, to_come_eur, cofunding_eur);
