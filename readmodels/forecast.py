"""The money ahead, for each calendar year by instrument and institute: paid, scheduled,
withheld, at risk and what pending renewals would add, CNRS funding and co-funding apart.

Aggregated by the database from two read models: `releases` (what was paid, the year it
was paid) and `forecast` (domain.forecast: what is not paid yet). A scheduled tranche is at
risk on the day asked when the report it waits for is overdue then."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict

from domain.actors import Actor
from eventstore.postgres import PostgresEventStore
from readmodels.views import Sql, sees


class ForecastRow(BaseModel):
    model_config = ConfigDict(frozen=True)

    year: int
    instrument: str
    institute: str | None
    paid_eur: int
    scheduled_eur: int  # planned, its report not overdue
    withheld_eur: int  # fell due, waiting for its report
    at_risk_eur: int  # planned, its report overdue today
    renewals_pending_eur: int  # what the renewals requested would add if granted
    cofunding_eur: int  # beside CNRS's funding, in EUR at the rates stated


# `seen`: the condition that the asker sees the project (and that it is the one asked
# for), {first}-{last} the years, {now} the day a report is overdue by
_FORECAST = """
WITH seen AS (
    SELECT p.project_id FROM portfolio p
    WHERE {seen}
), lines AS (
    SELECT r.year, p.instrument, s.state->'application'->>'institute' AS institute,
           r.amount_eur AS paid, 0 AS scheduled, 0 AS withheld, 0 AS at_risk, 0 AS renewal,
           0 AS cofunding
    FROM releases r JOIN seen USING (project_id)
         JOIN portfolio p USING (project_id) JOIN project_states s USING (project_id)
    WHERE r.year BETWEEN {first} AND {last}
    UNION ALL
    SELECT f.year, f.instrument, f.institute, 0,
           CASE WHEN f.kind = 'scheduled' AND NOT coalesce(f.report_due_at < {now}, false)
                THEN f.amount_eur ELSE 0 END,
           CASE WHEN f.kind = 'withheld' THEN f.amount_eur ELSE 0 END,
           CASE WHEN f.kind = 'scheduled' AND f.report_due_at < {now} THEN f.amount_eur ELSE 0 END,
           CASE WHEN f.kind = 'renewal' THEN f.amount_eur ELSE 0 END,
           CASE WHEN f.kind = 'cofunding' THEN f.amount_eur ELSE 0 END
    FROM forecast f JOIN seen USING (project_id)
    WHERE f.year BETWEEN {first} AND {last}
)
SELECT year, instrument, institute,
       sum(paid)::bigint AS paid_eur, sum(scheduled)::bigint AS scheduled_eur,
       sum(withheld)::bigint AS withheld_eur, sum(at_risk)::bigint AS at_risk_eur,
       sum(renewal)::bigint AS renewals_pending_eur, sum(cofunding)::bigint AS cofunding_eur
FROM lines
GROUP BY year, instrument, institute
ORDER BY year, instrument, institute NULLS LAST
"""


async def forecast(
    store: PostgresEventStore,
    viewer: Actor,
    first_year: int,
    last_year: int,
    now: datetime,
    project_id: str | None = None,
) -> list[ForecastRow]:
    q = Sql()
    seen = [sees(q, viewer)]
    if project_id is not None:
        seen.append(f"p.project_id = {q.bind(project_id, 'text')}")
    sql = _FORECAST.format(
        seen=" AND ".join(seen),
        first=q.bind(first_year, "integer"),
        last=q.bind(last_year, "integer"),
        now=q.bind(now, "timestamptz"),
    )
    async with store.connection() as conn:
        rows = await conn.fetch(sql, *q.args)
    return [ForecastRow.model_validate(dict(r)) for r in rows]
