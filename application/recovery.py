"""Recovery from the record: the event store is the record, Temporal's own store holds the
running lives. If Temporal's database is lost, `collab recover` starts again every project
whose events say it is not finished and that has no running workflow, at the state its
events fold to; its timers are the domain's, computed from that state (the next tranche,
reminders, the renewal window, the term end), and its next event continues its stream, so
nothing is appended twice. `collab reconcile` compares each running workflow's state with
the fold of its events."""

from __future__ import annotations

from dataclasses import dataclass

from application.projects import ProjectService
from application.refusals import Kind, Refusal
from domain.evolve import fold
from domain.said import said
from domain.state import ProjectState
from eventstore.event_records import from_record
from eventstore.postgres import PostgresEventStore


@dataclass(frozen=True)
class Recovered:
    project_id: str
    phase: str
    version: int
    started: bool  # False on a dry run


@dataclass(frozen=True)
class Difference:
    project_id: str
    recorded: str  # "phase vN" as the events fold
    running: str  # "phase vN" as the workflow holds it, or "no running workflow"


class Recovery:
    def __init__(self, store: PostgresEventStore, projects: ProjectService | None) -> None:
        self._store = store
        self._projects = projects

    @property
    def projects(self) -> ProjectService:
        if self._projects is None:
            raise Refusal(Kind.UNAVAILABLE, said("no workflow service: nothing can be recovered"))
        return self._projects

    async def _recorded(self, project_id: str) -> ProjectState:
        return fold(from_record(e) for e in await self._store.read_stream(project_id))

    async def recover(self, *, dry_run: bool = False) -> list[Recovered]:
        """Each unfinished project without a running workflow, started again (or listed)."""
        done: list[Recovered] = []
        for project_id in await self._store.project_stream_ids():
            state = await self._recorded(project_id)
            if state.version == 0 or state.lifecycle_complete:
                continue
            if await self.projects.running(project_id):
                continue
            if not dry_run:
                await self.projects.resume(project_id, state)
            done.append(Recovered(project_id, state.phase.value, state.version, not dry_run))
        return done

    async def reconcile(self) -> list[Difference]:
        """Each unfinished project whose running workflow holds another state than its
        events fold to (or that has none)."""
        found: list[Difference] = []
        for project_id in await self._store.project_stream_ids():
            recorded = await self._recorded(project_id)
            if recorded.version == 0 or recorded.lifecycle_complete:
                continue
            said_recorded = f"{recorded.phase.value} v{recorded.version}"
            if not await self.projects.running(project_id):
                found.append(Difference(project_id, said_recorded, "no running workflow"))
                continue
            held = await self.projects.state(project_id)
            if held != recorded:
                found.append(
                    Difference(project_id, said_recorded, f"{held.phase.value} v{held.version}")
                )
        return found
