"""The fields of a project's state that the portfolio's filters read (institute, the instants
of the year filter) are kept beside the state by PostgreSQL (1010_portfolio_filter_columns):
they follow every write of the state, and read the same whatever the session's time zone."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import asyncpg

from readmodels.projector import Projector, migrate_read_models
from readmodels.views import OPERATOR, PortfolioFilter, portfolio_page
from tests.domain.test_lifecycle import funded
from tests.readmodels.test_projector import record

_FIELDS = """SELECT lead_institute, submitted_at, last_event_at, closed_at, next_term_starts_at
FROM project_states WHERE project_id = $1"""


async def test_filter_fields_follow_the_state_whatever_the_time_zone(event_store, database_url):
    await migrate_read_models(database_url)
    conn = await asyncpg.connect(database_url)
    try:
        # UTC+14: another day, and on New Year's Eve another year, than UTC
        await conn.execute("SET TIME ZONE 'Pacific/Kiritimati'")
        state = {
            "project_id": "TZ-1",
            "application": {"institute": "INSU"},
            "submitted_at": "2025-12-31T20:00:00Z",
            "last_event_at": "2026-01-02T00:00:00+01:00",
            "closed_at": None,
        }
        await conn.execute(
            "INSERT INTO project_states (project_id, version, state) VALUES ($1, 1, $2::jsonb)",
            "TZ-1",
            json.dumps(state),
        )
        row = await conn.fetchrow(_FIELDS, "TZ-1")
        assert row["lead_institute"] == "INSU"
        assert row["submitted_at"] == datetime(2025, 12, 31, 20, tzinfo=UTC)
        assert row["last_event_at"] == datetime(2026, 1, 1, 23, tzinfo=UTC)
        assert row["closed_at"] is None and row["next_term_starts_at"] is None

        state["application"] = {"institute": "INSB"}
        state["closed_at"] = "2026-03-01T12:00:00Z"
        await conn.execute(
            "UPDATE project_states SET state = $2::jsonb, version = 2 WHERE project_id = $1",
            "TZ-1",
            json.dumps(state),
        )
        row = await conn.fetchrow(_FIELDS, "TZ-1")
        assert row["lead_institute"] == "INSB"
        assert row["closed_at"] == datetime(2026, 3, 1, 12, tzinfo=UTC)
    finally:
        await conn.close()


async def test_a_projected_project_is_found_by_its_year_and_institute(event_store, database_url):
    life = funded("IRP", "PF-1")
    await record(event_store, life)
    await migrate_read_models(database_url)
    await Projector(event_store).catch_up()
    async with event_store.connection() as conn:
        submitted = await conn.fetchval(
            "SELECT submitted_at FROM project_states WHERE project_id = 'PF-1'"
        )
    assert submitted is not None
    year = submitted.astimezone(UTC).year
    page, totals = await portfolio_page(event_store, OPERATOR, PortfolioFilter(year=year))
    assert [r.project_id for r in page.rows] == ["PF-1"] and totals.projects == 1
    page, totals = await portfolio_page(event_store, OPERATOR, PortfolioFilter(year=year - 1))
    assert page.rows == [] and totals.projects == 0
