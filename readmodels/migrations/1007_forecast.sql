-- The money ahead (domain.forecast): each project's tranches not yet paid, by the year they
-- fall due, what a pending renewal would add, and its co-funding by year; replaced for each
-- project the projector folds. A scheduled tranche is at risk once the report it waits for
-- (report_due_at) is overdue: a question of the day it is asked, answered at read time.
-- Existing projects get their rows at their next event or with `collab projections rebuild`.
CREATE TABLE forecast (
    project_id    text NOT NULL,
    instrument    text NOT NULL,
    institute     text,
    year          integer NOT NULL,
    kind          text NOT NULL,
    amount_eur    bigint NOT NULL,
    report_id     text,
    report_due_at timestamptz
);
CREATE INDEX forecast_project ON forecast (project_id);
CREATE INDEX forecast_year ON forecast (year);
CREATE INDEX releases_year ON releases (year);

-- What an import says was paid before it, in the releases with the year each tranche fell
-- due (the record holds no TrancheReleased for those): paid is paid, whoever paid it when.
INSERT INTO releases (event_id, project_id, year, amount_eur)
SELECT md5(e.event_id::text || '-' || (t->>'year'))::uuid, e.stream_id,
       extract(year FROM (t->>'due_at')::timestamptz AT TIME ZONE 'UTC')::int,
       (t->>'amount_eur')::bigint
FROM events e, jsonb_array_elements(e.data->'tranches') t
WHERE e.type = 'ProjectImported'
  AND (t->>'year')::int <= (e.data->'past'->>'tranches_released')::int
ON CONFLICT (event_id) DO NOTHING;

DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'collab_app') THEN
        GRANT SELECT, INSERT, DELETE ON forecast TO collab_app;
    END IF;
END
$$;
