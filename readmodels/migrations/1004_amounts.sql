-- Amounts people can read: besides the current term's award (awarded_eur) and what was
-- paid over every term (released_eur), each project shows what was awarded over every term,
-- what is withheld now and what is still to come in the current term.
--
-- Each award, one row per event (ApplicationApproved for term 1, RenewalGranted for the
-- next term; a later amendment of a term's budget adds its own row): a term's award is its
-- latest row, the total the sum of those. The projector copies these rows from `events`
-- (readmodels/projector.py); the existing ones are copied once now.
CREATE TABLE awards (
    event_id    uuid PRIMARY KEY,
    project_id  text NOT NULL,
    version     integer NOT NULL,
    term_number integer NOT NULL,
    amount_eur  integer NOT NULL
);
CREATE INDEX awards_project ON awards (project_id, term_number, version);

INSERT INTO awards (event_id, project_id, version, term_number, amount_eur)
SELECT event_id, stream_id, version,
       CASE WHEN type = 'ApplicationApproved' THEN 1
            WHEN type = 'RenewalGranted' THEN (data->>'term_number')::int + 1
            ELSE (data->>'term_number')::int END,
       coalesce(data->>'awarded_eur', data->'past'->>'awarded_eur')::int
FROM events WHERE type IN ('ApplicationApproved', 'RenewalGranted', 'BudgetAmended', 'ProjectImported')
ON CONFLICT (event_id) DO NOTHING;

ALTER TABLE portfolio
    ADD COLUMN total_awarded_eur integer NOT NULL DEFAULT 0,
    ADD COLUMN withheld_eur integer NOT NULL DEFAULT 0,
    ADD COLUMN to_come_eur integer NOT NULL DEFAULT 0;

UPDATE portfolio p SET total_awarded_eur = coalesce((
    SELECT sum(latest.amount_eur) FROM (
        SELECT DISTINCT ON (a.term_number) a.amount_eur
        FROM awards a WHERE a.project_id = p.project_id
        ORDER BY a.term_number, a.version DESC) latest), 0);

-- the current term's tranches, as the projector folded them
UPDATE portfolio p SET
    withheld_eur = coalesce((
        SELECT sum((t->>'amount_eur')::int)
        FROM project_states s, jsonb_array_elements(s.state->'term'->'tranches') t
        WHERE s.project_id = p.project_id AND t->>'status' = 'withheld'), 0),
    to_come_eur = coalesce((
        SELECT sum((t->>'amount_eur')::int)
        FROM project_states s, jsonb_array_elements(s.state->'term'->'tranches') t
        WHERE s.project_id = p.project_id AND t->>'status' = 'planned'), 0);

DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'collab_app') THEN
        GRANT SELECT, INSERT, DELETE ON awards TO collab_app;
    END IF;
END
$$;
