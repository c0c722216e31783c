-- The tranches released, one row each, for the portfolio's charts: a chart over the
-- projects a person sees reads these rows for those projects, instead of scanning every
-- event ever stored at each view. The projector copies each TrancheReleased event here
-- (readmodels/projector.py); existing events are copied once now.
CREATE TABLE releases (
    event_id   uuid PRIMARY KEY,
    project_id text NOT NULL,
    year       integer NOT NULL,
    amount_eur bigint NOT NULL
);
CREATE INDEX releases_project ON releases (project_id);

INSERT INTO releases (event_id, project_id, year, amount_eur)
SELECT event_id, stream_id, extract(year FROM occurred_at AT TIME ZONE 'UTC')::int,
       (data->>'amount_eur')::bigint
FROM events WHERE type = 'TrancheReleased'
ON CONFLICT (event_id) DO NOTHING;

-- the coordinator's own list, and the country filter, each through an index
CREATE INDEX portfolio_coordinator ON portfolio (coordinator_id);
CREATE INDEX portfolio_countries ON portfolio USING gin (countries);

DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'collab_app') THEN
        GRANT SELECT, INSERT, DELETE ON releases TO collab_app;
    END IF;
END
$$;
