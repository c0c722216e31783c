"""A project's decision history as one person may read it. Officers and auditors read the
record as it stands. Evaluation is confidential towards the people it judges: the
coordinator reads the reviews without knowing who wrote them, and a reviewer knows only
themself among the reviewers."""

from __future__ import annotations

from typing import Any

from domain.actors import Actor, Role
from domain.authorization import SEES_ALL
from eventstore.postgres import PostgresEventStore
from readmodels.queries import ActorOut, History, HistoryEntry, history
from readmodels.views import project_for


async def history_for(store: PostgresEventStore, viewer: Actor, project_id: str) -> History | None:
    """None when the project does not exist or is out of this person's sight."""
    if await project_for(store, viewer, project_id) is None:
        return None
    found = await history(store, project_id)
    if found is None or viewer.role in SEES_ALL:
        return found
    return anonymise_reviewers(found, keep=viewer.id if viewer.role is Role.REVIEWER else None)


def anonymise_reviewers(found: History, keep: str | None = None) -> History:
    """Every reviewer but `keep` becomes "reviewer N" (N in order of assignment), wherever
    they appear: the assignment, their review and its actor, reminders sent to them."""
    aliases: dict[str, str] = {}
    for entry in found.events:
        if entry.type == "ReviewerAssigned":
            rid = entry.data["reviewer"]["id"]
            if rid != keep and rid not in aliases:
                aliases[rid] = f"reviewer {len(aliases) + 1}"
    if not aliases:
        return found
    return found.model_copy(update={"events": [_entry(e, aliases) for e in found.events]})


def _entry(entry: HistoryEntry, aliases: dict[str, str]) -> HistoryEntry:
    actor = entry.actor
    if actor.id in aliases:
        actor = ActorOut(id=aliases[actor.id], role=actor.role)
    return entry.model_copy(update={"actor": actor, "data": _scrub(entry.data, aliases)})


def _scrub(value: Any, aliases: dict[str, str]) -> Any:
    if isinstance(value, dict):
        if value.get("id") in aliases and {"name", "lab", "country"} <= value.keys():
            alias = aliases[value["id"]]  # a reviewer: who they are and where they work
            return {**value, "id": alias, "name": alias, "lab": None, "country": None}
        return {k: _scrub(v, aliases) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_scrub(v, aliases) for v in value]
    if isinstance(value, str):  # an id, or a reminder key such as "review:<id>:14d"
        for rid in sorted(aliases, key=len, reverse=True):
            value = value.replace(rid, aliases[rid])
    return value
