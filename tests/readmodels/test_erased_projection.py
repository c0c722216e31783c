"""The read models never write an erased person's name back: not a projector batch that
follows an erasure (its states were folded or stored before), not a project projected
again while the projector is behind."""

from __future__ import annotations

from eventstore.event_records import to_record
from readmodels.projector import Projector, migrate_read_models
from tests.builders import utc
from tests.domain.life import Life

NAME, EMAIL = "Claire Durand", "pi-durand@cnrs.example.fr"


async def stored(owner, pid: str) -> str:
    return await owner.fetchval(
        "SELECT s.state::text || p.coordinator FROM project_states s JOIN portfolio p "
        "USING (project_id) WHERE project_id = $1",
        pid,
    )


async def projected_in_part(event_store, database_url, owner, pid: str):
    """A project whose first two events are projected and the rest still to come."""
    await migrate_read_models(database_url)
    life = Life(pid)
    life.submit("IRP", utc(2026, 3, 2))
    life.evaluate(utc(2026, 3, 10))
    first, rest = life.events[:2], life.events[2:]
    await event_store.append(pid, [to_record(e) for e in first], 0)
    projector = Projector(event_store)
    await projector.catch_up()
    assert NAME in await stored(owner, pid)
    return life, first, rest, projector


async def test_a_batch_after_an_erasure_and_a_refold_while_behind_name_nobody(
    event_store, database_url, owner
):
    life, first, rest, projector = await projected_in_part(
        event_store, database_url, owner, "P-erased-read"
    )

    await event_store.append("P-erased-read", [to_record(e) for e in rest], len(first))
    await event_store.erase_person("pi-durand")
    # projected again while the projector is behind: folded up to its checkpoint only
    await projector.refold(["P-erased-read"])
    shown = await stored(owner, "P-erased-read")
    assert NAME not in shown and EMAIL not in shown
    # the projector's next batch folds on from the stored state: the name stays out
    await projector.catch_up()
    shown = await stored(owner, "P-erased-read")
    assert NAME not in shown and EMAIL not in shown
    version = await owner.fetchval(
        "SELECT version FROM project_states WHERE project_id = 'P-erased-read'"
    )
    assert version == len(life.events)


async def test_the_projector_forgets_whom_an_erasure_left_in_its_stored_states(
    event_store, database_url, owner
):
    _, first, rest, projector = await projected_in_part(
        event_store, database_url, owner, "P-erased-batch"
    )
    await event_store.erase_person("pi-durand")  # and no refold (an erasure cut short)
    await event_store.append("P-erased-batch", [to_record(e) for e in rest], len(first))
    await projector.catch_up()
    shown = await stored(owner, "P-erased-batch")
    assert NAME not in shown and EMAIL not in shown
