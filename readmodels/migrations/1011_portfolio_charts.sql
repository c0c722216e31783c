-- The portfolio's charts, kept added up: a whole portfolio's charts (what an officer or an
-- auditor sees, unfiltered or by instrument, state or institute) read these few rows
-- instead of aggregating every project, and every release of theirs, at each view (at
-- 100,000 projects about 450,000 releases: 200 ms a view). The projector keeps them in the
-- transaction of the rows they add up (readmodels/projector.py: the old contribution of
-- each project a batch touches taken off, its new one added); a filter they cannot answer
-- (a partner country, a year) or a person who sees only some projects counts from the rows.
--
-- Keys: each project's instrument, state (phase) and leading institute (NULL: none), as its
-- portfolio and state rows hold them; rows whose count falls to zero are deleted.

-- projects
CREATE TABLE portfolio_counts (
    instrument text NOT NULL,
    phase      text NOT NULL,
    institute  text,
    projects   bigint NOT NULL,
    UNIQUE NULLS NOT DISTINCT (instrument, phase, institute)
);

-- projects with a lab in the country (each country of the portfolio row once)
CREATE TABLE portfolio_country_counts (
    instrument text NOT NULL,
    phase      text NOT NULL,
    institute  text,
    country    text NOT NULL,
    projects   bigint NOT NULL,
    UNIQUE NULLS NOT DISTINCT (instrument, phase, institute, country)
);

-- the `releases` of those projects, by the year paid: their sum and how many
CREATE TABLE released_by_year (
    instrument text NOT NULL,
    phase      text NOT NULL,
    institute  text,
    year       integer NOT NULL,
    amount_eur bigint NOT NULL,
    releases   bigint NOT NULL,
    UNIQUE NULLS NOT DISTINCT (instrument, phase, institute, year)
);

-- Empty the three tables and add them up again from the read models: here, for a store
-- upgraded with projects in it (no rebuild needed), and wherever read models are written
-- other than by the projector (bench/reads.py copies them).
CREATE FUNCTION fill_portfolio_charts() RETURNS void LANGUAGE sql AS $$
    DELETE FROM portfolio_counts;
    DELETE FROM portfolio_country_counts;
    DELETE FROM released_by_year;
    INSERT INTO portfolio_counts (instrument, phase, institute, projects)
    SELECT p.instrument, p.phase, s.lead_institute, count(*)
    FROM portfolio p JOIN project_states s USING (project_id)
    GROUP BY 1, 2, 3;
    INSERT INTO portfolio_country_counts (instrument, phase, institute, country, projects)
    SELECT p.instrument, p.phase, s.lead_institute, c.country, count(*)
    FROM portfolio p JOIN project_states s USING (project_id), unnest(p.countries) AS c(country)
    GROUP BY 1, 2, 3, 4;
    INSERT INTO released_by_year (instrument, phase, institute, year, amount_eur, releases)
    SELECT p.instrument, p.phase, s.lead_institute, r.year, sum(r.amount_eur), count(*)
    FROM portfolio p JOIN project_states s USING (project_id)
        JOIN releases r USING (project_id)
    GROUP BY 1, 2, 3, 4;
$$;
REVOKE ALL ON FUNCTION fill_portfolio_charts() FROM PUBLIC;

SELECT fill_portfolio_charts();

DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'collab_app') THEN
        GRANT SELECT, INSERT, UPDATE, DELETE
            ON portfolio_counts, portfolio_country_counts, released_by_year
            TO collab_app;
    END IF;
END
$$;
