"""The portfolio as one person may see it: officers and auditors see every project, a
coordinator the projects they coordinate, a reviewer the projects they were assigned.
The API, the pages and the calendar all ask here, so the rule is written once."""

from __future__ import annotations

import json
from collections import Counter
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict

from domain.actors import OPERATOR as OPERATOR
from domain.actors import Actor
from domain.authorization import SEES_ALL
from eventstore.postgres import PostgresEventStore
from readmodels.queries import DeadlineRow, ProjectRow, _project

# $1 the person's id, $2 their role; `p` is the portfolio row
_VISIBLE = """(
    $2 = ANY($3::text[])
    OR ($2 = 'coordinator' AND p.coordinator_id = $1)
    OR ($2 = 'reviewer' AND EXISTS (
        SELECT 1 FROM project_states s, jsonb_array_elements(s.state->'assignments') a
        WHERE s.project_id = p.project_id AND a->'reviewer'->>'id' = $1))
)"""


def _who(viewer: Actor) -> tuple[str, str, list[str]]:
    return viewer.id, viewer.role.value, sorted(r.value for r in SEES_ALL)


class SortKey(StrEnum):
    PROJECT = "project_id"
    INSTRUMENT = "instrument"
    STATE = "phase"
    COORDINATOR = "coordinator"
    TERM_START = "term_starts_at"
    TERM_END = "term_ends_at"
    AWARDED = "awarded_eur"
    RELEASED = "released_eur"


class PortfolioFilter(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    instrument: str | None = None
    phase: str | None = None
    institute: str | None = None
    country: str | None = None
    # the project was live during that year (UTC): from its submission to its end (refusal,
    # termination, closure) or, while it runs, to the end of its current term
    year: int | None = None
    sort: SortKey = SortKey.PROJECT
    descending: bool = False


class PortfolioRow(ProjectRow):
    institute: str | None


class Totals(BaseModel):
    projects: int
    awarded_eur: int
    released_eur: int


async def portfolio(
    store: PostgresEventStore, viewer: Actor, where: PortfolioFilter | None = None
) -> list[PortfolioRow]:
    where = where or PortfolioFilter()
    direction = "DESC" if where.descending else "ASC"
    # the sort column comes from the SortKey enum, never from the request text
    order = f"p.{where.sort.value} {direction} NULLS LAST, p.project_id"
    sql = f"""
        SELECT p.*, s.state->'application'->>'institute' AS institute
        FROM portfolio p JOIN project_states s USING (project_id)
        WHERE {_VISIBLE}
          AND ($4::text IS NULL OR p.instrument = $4)
          AND ($5::text IS NULL OR p.phase = $5)
          AND ($6::text IS NULL OR s.state->'application'->>'institute' = $6)
          AND ($7::text IS NULL OR $7 = ANY(p.countries))
          AND ($8::int IS NULL OR (
                extract(year FROM (s.state->>'submitted_at')::timestamptz AT TIME ZONE 'UTC') <= $8
                AND extract(year FROM (CASE
                    WHEN p.phase IN ('ineligible', 'rejected', 'terminated')
                        THEN (s.state->>'last_event_at')::timestamptz
                    WHEN p.phase = 'closed' THEN (s.state->>'closed_at')::timestamptz
                    ELSE greatest(p.term_ends_at - interval '1 second', now())
                  END) AT TIME ZONE 'UTC') >= $8))
        ORDER BY {order}"""
    async with store.connection() as conn:
        rows = await conn.fetch(
            sql,
            *_who(viewer),
            where.instrument,
            where.phase,
            where.institute,
            where.country,
            where.year,
        )
    return [_portfolio_row(r) for r in rows]


def _portfolio_row(record: Any) -> PortfolioRow:
    row = _project(record)
    return PortfolioRow(**row.model_dump(), institute=record["institute"])


def totals(rows: list[PortfolioRow]) -> Totals:
    return Totals(
        projects=len(rows),
        awarded_eur=sum(r.awarded_eur or 0 for r in rows),
        released_eur=sum(r.released_eur for r in rows),
    )


async def project_for(
    store: PostgresEventStore, viewer: Actor, project_id: str
) -> PortfolioRow | None:
    """The project if it exists and this person may see it; None tells neither apart."""
    sql = f"""
        SELECT p.*, s.state->'application'->>'institute' AS institute
        FROM portfolio p JOIN project_states s USING (project_id)
        WHERE p.project_id = $4 AND {_VISIBLE}"""
    async with store.connection() as conn:
        row = await conn.fetchrow(sql, *_who(viewer), project_id)
    return _portfolio_row(row) if row else None


async def project_state_json(store: PostgresEventStore, project_id: str) -> dict[str, Any] | None:
    """The folded domain state, as the projector stored it."""
    async with store.connection() as conn:
        row = await conn.fetchrow(
            "SELECT state FROM project_states WHERE project_id = $1", project_id
        )
    if row is None:
        return None
    state = row["state"]
    return json.loads(state) if isinstance(state, str) else dict(state)


async def deadlines_for(
    store: PostgresEventStore,
    viewer: Actor,
    now: datetime,
    within: timedelta,
    project_id: str | None = None,
) -> list[DeadlineRow]:
    """What falls due before now + within on the projects this person sees, overdue included.
    A reviewer's deadlines are their evaluations. Who is late with a review (the label's
    "; awaiting <reviewer ids>") is for the officers' eyes only, reviews being confidential
    towards the coordinator and among reviewers."""
    sql = f"""
        SELECT d.project_id, d.kind, d.ref, d.due_at,
               CASE WHEN d.kind = 'evaluation' AND NOT $2 = ANY($3::text[])
                    THEN split_part(d.label, ';', 1) ELSE d.label END AS label
        FROM deadlines d JOIN portfolio p USING (project_id)
        WHERE {_VISIBLE}
          AND d.due_at <= $4
          AND ($5::text IS NULL OR d.project_id = $5)
          AND ($2 <> 'reviewer' OR d.kind = 'evaluation')
        ORDER BY d.due_at, d.project_id, d.kind, d.ref"""
    async with store.connection() as conn:
        rows = await conn.fetch(sql, *_who(viewer), now + within, project_id)
    return [DeadlineRow.model_validate(dict(r)) for r in rows]


class Charts(BaseModel):
    released_by_year: dict[str, dict[int, int]]  # instrument -> year -> EUR released
    projects_by_state: dict[str, int]
    partner_countries: dict[str, int]  # foreign country -> projects with a lab there


async def charts(store: PostgresEventStore, rows: list[PortfolioRow]) -> Charts:
    """The charts of exactly the projects a page shows."""
    async with store.connection() as conn:
        released = await conn.fetch(
            """SELECT p.instrument,
                      extract(year FROM e.occurred_at)::int AS year,
                      sum((e.data->>'amount_eur')::bigint)::bigint AS eur
               FROM events e JOIN portfolio p ON p.project_id = e.stream_id
               WHERE e.type = 'TrancheReleased' AND e.stream_id = ANY($1::text[])
               GROUP BY 1, 2 ORDER BY 1, 2""",
            [r.project_id for r in rows],
        )
    by_year: dict[str, dict[int, int]] = {}
    for r in released:
        by_year.setdefault(r["instrument"], {})[r["year"]] = int(r["eur"])
    states = Counter(r.phase for r in rows)
    countries = Counter(c for r in rows for c in r.countries if c != "FR")
    return Charts(
        released_by_year=by_year,
        projects_by_state=dict(states.most_common()),
        partner_countries=dict(sorted(countries.items(), key=lambda kv: (-kv[1], kv[0]))),
    )
