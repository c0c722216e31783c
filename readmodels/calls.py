"""A call's applications as the round reads them (domain.call_round.Candidate): one indexed
query over the call's own rows, whatever the size of the portfolio."""

from __future__ import annotations

import json
from statistics import fmean
from typing import Any

from domain.call_round import Candidate
from domain.state import ProjectState
from eventstore.postgres import PostgresEventStore

_CALL_APPLICATIONS = """
SELECT s.state FROM portfolio p JOIN project_states s USING (project_id)
WHERE p.call_id = $1 ORDER BY p.project_id
"""


def candidate(state: ProjectState) -> Candidate:
    app = state.application
    assert app is not None
    means = [fmean(r.scores.values()) for r in state.reviews if r.scores]
    return Candidate(
        project_id=state.project_id,
        title=app.title,
        institute=app.institute,
        phase=state.phase,
        requested_eur=app.requested_eur,
        awarded_eur=state.awarded_eur,
        reviews=len(state.reviews),
        mean_score=round(fmean(means), 2) if means else None,
        countries=tuple(sorted({lab.country for lab in app.labs} - {"FR"})),
    )


async def call_candidates(store: PostgresEventStore, call_id: str) -> list[Candidate]:
    async with store.connection() as conn:
        rows = await conn.fetch(_CALL_APPLICATIONS, call_id)
    return [candidate(ProjectState.model_validate(_json(r["state"]))) for r in rows]


def _json(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) else value
