-- The portfolio's totals and charts kept added up by every key a list may be filtered by
-- (instrument, state, leading institute, partner country, the years a project is live), so
-- that an officer's filtered list reads a few of these cells instead of every matching
-- project and its releases: at 100,000 projects a list filtered by instrument, state,
-- country and year matched 7,000 projects and took 250 ms in PostgreSQL alone. 1011 kept
-- sums by instrument, state and institute only; these cells replace them.
--
-- A cell's keys: `country` is '*' for every project once, or a country it has a lab in (a
-- project counted under each); the years a project is live are `first_year` (submitted)
-- to `last_year` (its end: refused, terminated or closed, or the end of its term), and
-- while it `runs` up to the present year as well (the columns of `portfolio` below, and
-- `live_in`). The projector keeps the cells in the transaction of the rows they
-- add up (readmodels/projector.py); cells whose count falls to zero are deleted.

DROP FUNCTION fill_portfolio_charts();
DROP TABLE portfolio_counts, portfolio_country_counts, released_by_year;
-- the sums of a list are read from the cells; the index serves the rows of a filtered page
DROP INDEX portfolio_instrument_phase;
CREATE INDEX portfolio_instrument_phase ON portfolio (instrument, phase, project_id);

-- A project's keys on its portfolio row, so that neither a filtered list nor its cells
-- read its state's row: the leading institute, and the years it is live, worked out here
-- once a write from the instants the projector copies beside them. `updated_at` is the
-- project's last event; an approved project's term is the one its decision fixed.
ALTER TABLE portfolio
    ADD COLUMN institute text,
    ADD COLUMN submitted_at timestamptz,
    ADD COLUMN closed_at timestamptz;
UPDATE portfolio p
SET institute = s.lead_institute, submitted_at = s.submitted_at, closed_at = s.closed_at
FROM project_states s WHERE s.project_id = p.project_id;
ALTER TABLE portfolio
    ADD COLUMN first_year integer
        GENERATED ALWAYS AS (extract(year FROM submitted_at AT TIME ZONE 'UTC')::int) STORED,
    ADD COLUMN last_year integer GENERATED ALWAYS AS (extract(year FROM CASE
        WHEN phase IN ('ineligible', 'rejected', 'terminated') THEN updated_at AT TIME ZONE 'UTC'
        WHEN phase = 'closed' THEN closed_at AT TIME ZONE 'UTC'
        ELSE (term_ends_at AT TIME ZONE 'UTC') - interval '1 second'
    END)::int) STORED,
    ADD COLUMN runs boolean GENERATED ALWAYS AS
        (phase NOT IN ('ineligible', 'rejected', 'terminated', 'closed')) STORED;

-- The project was live during `year` (UTC): submitted by its end, and not ended before it;
-- one still running is live this year whatever its term says. STABLE (the present year):
-- inlined by the planner where it is used.
CREATE FUNCTION live_in(first_year int, last_year int, runs boolean, year int)
    RETURNS boolean LANGUAGE sql STABLE PARALLEL SAFE
    RETURN first_year <= year AND (
        last_year >= year
        OR (runs AND year <= extract(year FROM now() AT TIME ZONE 'UTC')::int));

-- projects and their amounts
CREATE TABLE portfolio_cells (
    country       text NOT NULL,
    instrument    text NOT NULL,
    phase         text NOT NULL,
    institute     text,
    first_year    integer,
    last_year     integer,
    runs          boolean NOT NULL,
    projects      bigint NOT NULL,
    awarded_eur   bigint NOT NULL,
    released_eur  bigint NOT NULL,
    withheld_eur  bigint NOT NULL,
    to_come_eur   bigint NOT NULL,
    cofunding_eur bigint NOT NULL,
    UNIQUE NULLS NOT DISTINCT
        (country, instrument, phase, institute, first_year, last_year, runs)
);

-- the same projects by each country they have a lab in (the partner-countries chart)
CREATE TABLE partner_cells (
    country    text NOT NULL,
    instrument text NOT NULL,
    phase      text NOT NULL,
    institute  text,
    first_year integer,
    last_year  integer,
    runs       boolean NOT NULL,
    partner    text NOT NULL,
    projects   bigint NOT NULL,
    UNIQUE NULLS NOT DISTINCT
        (country, instrument, phase, institute, first_year, last_year, runs, partner)
);

-- their `releases` by the year paid: the sum and how many
CREATE TABLE released_cells (
    country    text NOT NULL,
    instrument text NOT NULL,
    phase      text NOT NULL,
    institute  text,
    first_year integer,
    last_year  integer,
    runs       boolean NOT NULL,
    year       integer NOT NULL,
    amount_eur bigint NOT NULL,
    releases   bigint NOT NULL,
    UNIQUE NULLS NOT DISTINCT
        (country, instrument, phase, institute, first_year, last_year, runs, year)
);

-- Empty the cells and add them up again from the read models: here, for a store upgraded
-- with projects in it (no rebuild needed), and wherever read models are written other
-- than by the projector (bench/reads.py copies them).
CREATE FUNCTION fill_portfolio_charts() RETURNS void LANGUAGE sql AS $$
    DELETE FROM portfolio_cells;
    DELETE FROM partner_cells;
    DELETE FROM released_cells;
    INSERT INTO portfolio_cells
    SELECT c.country, k.instrument, k.phase, k.institute, k.first_year, k.last_year, k.runs,
        count(*), sum(k.total_awarded_eur), sum(k.released_eur), sum(k.withheld_eur),
        sum(k.to_come_eur), sum(k.cofunding_eur)
    FROM portfolio k, unnest(ARRAY['*'] || k.countries) AS c(country)
    GROUP BY 1, 2, 3, 4, 5, 6, 7;
    INSERT INTO partner_cells
    SELECT c.country, k.instrument, k.phase, k.institute, k.first_year, k.last_year, k.runs,
        u.partner, count(*)
    FROM portfolio k, unnest(ARRAY['*'] || k.countries) AS c(country),
        unnest(k.countries) AS u(partner)
    GROUP BY 1, 2, 3, 4, 5, 6, 7, 8;
    INSERT INTO released_cells
    SELECT c.country, k.instrument, k.phase, k.institute, k.first_year, k.last_year, k.runs,
        r.year, sum(r.amount_eur), count(*)
    FROM portfolio k JOIN releases r USING (project_id),
        unnest(ARRAY['*'] || k.countries) AS c(country)
    GROUP BY 1, 2, 3, 4, 5, 6, 7, 8;
$$;
REVOKE ALL ON FUNCTION fill_portfolio_charts() FROM PUBLIC;

SELECT fill_portfolio_charts();

DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'collab_app') THEN
        GRANT SELECT, INSERT, UPDATE, DELETE
            ON portfolio_cells, partner_cells, released_cells TO collab_app;
    END IF;
END
$$;
