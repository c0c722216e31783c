"""The deadlines read model shows each project by the policy it runs with (recorded by its
ApplicationSubmitted), as its workflow decides, whether followed live or rebuilt; a project
recorded before policies were recorded shows by DEFAULT_POLICY, the one it ran with."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest

from domain.policy import DEFAULT_POLICY
from domain.state import ProjectState, policy_of
from eventstore.event_records import to_record
from readmodels.projector import Projector, migrate_read_models
from readmodels.views import OPERATOR, deadlines_for, project_state_json
from tests.builders import utc
from tests.domain.life import Life
from tests.domain.test_project_policy import NO_IRP_RENEWAL, SHORT_WINDOW, active_irp
from tests.readmodels.test_projector import snapshot

DEFAULT_WINDOW = "renewal request window 1 June 2030 to 1 June 2031"
SHORT = "renewal request window 1 December 2030 to 1 June 2031"


@pytest.fixture
async def projector(event_store, database_url) -> Projector:
    await migrate_read_models(database_url)
    return Projector(event_store)


async def record(store, life: Life, start: int = 0, end: int | None = None, old_shape=False):
    """Append life.events[start:end]; `old_shape`: as recorded before policies were (the
    ApplicationSubmitted payload without a `policy` key)."""
    records = [to_record(e) for e in life.events[start:end]]
    if old_shape:
        records = [
            replace(r, data={k: v for k, v in r.data.items() if k != "policy"})
            if r.type == "ApplicationSubmitted"
            else r
            for r in records
        ]
    await store.append(life.project_id, records, records[0].version - 1)


async def renewal_windows(store) -> dict[str, str | None]:
    rows = await deadlines_for(store, OPERATOR, utc(2026, 6, 2), timedelta(days=3650))
    windows: dict[str, str | None] = {r.project_id: None for r in rows}
    for r in rows:
        if r.kind == "renewal":
            windows[r.project_id] = r.label
    return windows


async def stored_state(store, project_id: str) -> ProjectState:
    found = await project_state_json(store, project_id)
    assert found is not None
    return ProjectState.model_validate(found)


async def test_each_project_shows_the_deadlines_of_its_own_policy(event_store, projector):
    lives = {
        "IRP-default": active_irp("IRP-default"),
        "IRP-short": active_irp("IRP-short", SHORT_WINDOW),
        "IRP-capped": active_irp("IRP-capped", NO_IRP_RENEWAL),
    }
    for life in lives.values():
        await record(event_store, life)
    await projector.catch_up(batch_size=7)  # projects across batches
    expected = {"IRP-default": DEFAULT_WINDOW, "IRP-short": SHORT, "IRP-capped": None}
    assert await renewal_windows(event_store) == expected
    # its report deadlines, as its policy set them
    [report] = [
        d
        for d in await deadlines_for(
            event_store, OPERATOR, utc(2026, 6, 2), timedelta(days=365), "IRP-short"
        )
        if d.ref == "term1-year1"
    ]
    assert report.due_at == utc(2027, 6, 1) - timedelta(days=60)
    assert policy_of(await stored_state(event_store, "IRP-short")) == SHORT_WINDOW

    before = await snapshot(event_store)
    await projector.rebuild()
    assert await snapshot(event_store) == before
    assert await renewal_windows(event_store) == expected


async def test_a_state_read_back_from_the_table_keeps_its_policy(event_store, projector):
    """A later catch-up (another process, no states in memory) folds onto the state it
    reads from project_states: the policy must come back with it."""
    life = active_irp("IRP-later", SHORT_WINDOW)
    submitted_only = 1
    await record(event_store, life, end=submitted_only)
    await projector.catch_up()
    await record(event_store, life, start=submitted_only)
    assert await Projector(event_store).catch_up() == len(life.events) - submitted_only
    assert await renewal_windows(event_store) == {"IRP-later": SHORT}
    assert (await stored_state(event_store, "IRP-later")) == life.state


async def test_a_project_recorded_before_policies_were_shows_by_the_default(event_store, projector):
    old = active_irp("IRP-old")
    new = active_irp("IRP-new", SHORT_WINDOW)
    await record(event_store, old, old_shape=True)
    await record(event_store, new)
    async with event_store.connection() as conn:
        payload = await conn.fetchval(
            "SELECT data FROM events WHERE stream_id = 'IRP-old' AND version = 1"
        )
    assert '"policy"' not in str(payload)  # the stored payload has the old shape
    await projector.catch_up()
    expected = {"IRP-old": DEFAULT_WINDOW, "IRP-new": SHORT}
    assert await renewal_windows(event_store) == expected
    state = await stored_state(event_store, "IRP-old")
    assert state.policy is None and policy_of(state) is DEFAULT_POLICY
    await projector.rebuild()
    assert await renewal_windows(event_store) == expected
