"""The application, assembled over a store and a Temporal client: what every entry point
is handed by the composition root (collab.wiring)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from application.audit import Audit
from application.backup import Backups, OwnerUrl
from application.calls import Calls
from application.imports import Imports
from application.operations import Operations
from application.people import Directory, Identities
from application.policies import Policies
from application.privacy import Privacy
from application.projects import ProjectService
from application.reads import Reads
from application.recovery import Recovery
from application.steps import Steps
from eventstore.postgres import PostgresEventStore
from identity.people import PeopleDirectory
from identity.sessions import SessionStore
from readmodels.projector import Projector


@dataclass(frozen=True)
class Application:
    steps: Steps
    reads: Reads
    identities: Identities
    directory: Directory
    sessions: SessionStore  # the pages' server-side sessions
    maintenance: Maintenance
    audit: Audit
    imports: Imports
    policies: Policies
    recovery: Recovery
    operations: Operations  # readiness and the metrics read from the database
    backups: Backups  # the record copied out and put back (`collab backup`, `restore`)
    calls: Calls  # the IEA call round: rankings, DERCI's proposal and closing
    privacy: Privacy  # a person's data: export and erasure (the data-protection officer)


class Maintenance:
    """An operator's work on the read models."""

    def __init__(self, store: PostgresEventStore) -> None:
        self._store = store

    async def rebuild(self, progress: Callable[[int], None] | None = None) -> int:
        """Rebuild the read models from every event; how many events they now reflect
        (not the rebuild's own count: a running projector may have folded some batches)."""
        projector = Projector(self._store)
        await projector.rebuild(progress=progress)
        return await projector.projected_events()


def assemble(
    store: PostgresEventStore,
    projects: ProjectService | None,
    key_file: Path | None = None,
    owner_url: OwnerUrl | None = None,
    *,
    serving: bool = False,
) -> Application:
    """`projects` None: no workflow service (questions only); a step is then refused.
    `key_file`: the ledger's signing key (None: no digest can be signed here).
    `owner_url`: how to get the schema owner's login (None: no backup or restore here).
    `serving`: the process answers requests, and keeps who their tokens and sessions name
    while the directory does not change (identity.remembered)."""
    people = PeopleDirectory(store, remember=serving)
    audit = Audit(store, key_file)
    steps = Steps(store, projects, people)
    policies = Policies(store)
    return Application(
        steps=steps,
        reads=Reads(store, people),
        identities=Identities(people),
        directory=Directory(people),
        sessions=SessionStore(store, remember=serving),
        maintenance=Maintenance(store),
        audit=audit,
        imports=Imports(store, projects),
        policies=policies,
        recovery=Recovery(store, projects),
        operations=Operations(store, projects),
        backups=Backups(store, audit, owner_url or _no_owner),
        calls=Calls(store, steps, policies),
        privacy=Privacy(
            store,
            people,
            Projector(store),
            projects,
            policies,
            key_file=key_file,
            owner_url=owner_url,
        ),
    )


async def _no_owner() -> str | None:
    return None
