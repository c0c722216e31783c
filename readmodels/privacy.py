"""Who is linked to which project, and since when it ended: what the retention of personal
data (domain.personal_data.retention) reads. Coordinators and reviewers, from the
portfolio and the projects' states (their end dates kept as columns, 1010)."""

from __future__ import annotations

from datetime import datetime

from eventstore.postgres import PostgresEventStore

# a project's end: when it was closed, or its last fact once it is over; NULL while it runs
_LINKS = """
WITH projects AS (
    SELECT p.project_id, p.coordinator_id, s.state,
        CASE WHEN p.phase = 'closed' THEN coalesce(s.closed_at, s.last_event_at)
             WHEN p.phase IN ('ineligible', 'rejected', 'terminated') THEN s.last_event_at
        END AS ended_at
    FROM portfolio p JOIN project_states s USING (project_id)
)
SELECT coordinator_id AS person_id, ended_at FROM projects
UNION ALL
SELECT a->'reviewer'->>'id', ended_at
FROM projects, jsonb_array_elements(state->'assignments') a
"""


async def person_links(store: PostgresEventStore) -> list[tuple[str, datetime | None]]:
    async with store.connection() as conn:
        rows = await conn.fetch(_LINKS)
    return [(r["person_id"], r["ended_at"]) for r in rows]
