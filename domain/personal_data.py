"""Every personal field the service records, where it travels and why it is kept (GDPR /
RGPD art. 30), and the one rule that finds them in an event: what the event store seals
under each person's own key (eventstore.shredding) and what an erasure makes unreadable.

A person is named in the record by their directory id (pseudonymous, kept in clear: the
decisions, roles and amounts stay linked to it after an erasure); what identifies them
directly, their name and e-mail address, is sealed.

Where it travels, what, why it is kept and what an erasure does there: TRAVELS below (the
README's "Personal data" section says the same, and a test holds them together).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from datetime import datetime, timedelta
from typing import Any

from domain.calendar import add_years
from domain.state import ProjectState

# In each event type, where a person is recorded: the path to an object with the person's
# `id` and the sealed fields below. tests/domain/test_personal_data.py checks that every
# event field typed as a person or a reviewer is listed here.
PERSONAL_PATHS: dict[str, tuple[tuple[str, ...], ...]] = {
    "ApplicationSubmitted": (("application", "coordinator"),),
    "ProjectImported": (("application", "coordinator"),),
    "ReviewerAssigned": (("reviewer",),),
    "CoordinatorReplaced": (("previous",), ("coordinator",)),
}
SEALED = ("name", "email")  # what identifies a person directly
ERASED_NAME = "(erased)"
ERASED_EMAIL = "erased@erased.invalid"
ERASED = {"name": ERASED_NAME, "email": ERASED_EMAIL}

TRAVELS: tuple[tuple[str, str, str, str], ...] = (
    (
        "events (data)",
        "coordinators' and reviewers' names and e-mails (PERSONAL_PATHS)",
        "who applied and who reviewed: the decisions' record",
        "sealed under the person's key; the key destroyed, they read as erased",
    ),
    (
        "events (actor and ids in data)",
        "directory ids",
        "who decided what",
        "kept: pseudonymous, so decisions, roles and amounts stay linked",
    ),
    (
        "events (reasons, findings, summaries)",
        "free text people typed",
        "why each decision was taken",
        "kept in clear: reasons are about projects, not people",
    ),
    (
        "directory (people)",
        "name, e-mail, lab, country, role",
        "who may sign in, and as whom",
        "name and e-mail overwritten, the person revoked",
    ),
    (
        "read models (project_states, portfolio)",
        "what the events say, opened",
        "pages, API, CLI, CSV exports, calendar feeds",
        "the person's projects projected again: erased",
    ),
    (
        "outbox (notifications)",
        "directory ids; e-mail addresses looked up when sent",
        "reminders and decisions by e-mail",
        "an erased person has no address: nothing is sent to them",
    ),
    (
        "Temporal payloads",
        "the running workflow's state and the commands it took, names and e-mails sealed "
        "under the person's key (collab.payload_sealing)",
        "the project's life",
        "the key destroyed, every history reads as erased; running workflows forget the person",
    ),
    (
        "logs",
        "project ids and directory ids only",
        "operations",
        "nothing to erase",
    ),
)

# a sealed field's value: (person id, field, value as stored) -> value as it now reads
Transform = Callable[[str, str, Any], Any]


def people_in(event_type: str, data: Mapping[str, Any]) -> set[str]:
    """The directory ids of the people an event's data names."""
    found = set()
    for path in PERSONAL_PATHS.get(event_type, ()):
        person = _at(data, path)
        if isinstance(person, Mapping) and isinstance(person.get("id"), str):
            found.add(person["id"])
    return found


def transform(event_type: str, data: Mapping[str, Any], fn: Transform) -> dict[str, Any]:
    """`data` with each sealed field of each person it names replaced by `fn`'s answer (a
    copy: `data` is left as it is)."""
    out = dict(data)
    for path in PERSONAL_PATHS.get(event_type, ()):
        person = _at(out, path)
        if not isinstance(person, Mapping) or not isinstance(person.get("id"), str):
            continue
        changed = dict(person)
        for field in SEALED:
            if field in changed:
                changed[field] = fn(person["id"], field, changed[field])
        out = _put(out, path, changed)
    return out


def forget(state: ProjectState, person_id: str) -> ProjectState:
    """The state without the person's name and e-mail (an erased person a running workflow
    still holds): their id, their role in the project and every decision stay."""
    app = state.application
    changes: dict[str, Any] = {}
    if app is not None and app.coordinator.id == person_id:
        coordinator = app.coordinator.model_copy(update=ERASED)
        changes["application"] = app.model_copy(update={"coordinator": coordinator})
    if any(a.reviewer.id == person_id for a in state.assignments):
        changes["assignments"] = tuple(
            a.model_copy(update={"reviewer": a.reviewer.model_copy(update={"name": ERASED_NAME})})
            if a.reviewer.id == person_id
            else a
            for a in state.assignments
        )
    return state.model_copy(update=changes) if changes else state


RETENTION_NOTICE = timedelta(days=30)  # the data-protection officer is told this long ahead


def retention(
    links: Iterable[tuple[str, datetime | None]], years: int, now: datetime
) -> tuple[dict[str, datetime], dict[str, datetime]]:
    """Whose personal data the retention policy erases: each person linked to projects
    (person id, the day the project ended, None while it runs) whose every project ended,
    the last more than `years` ago. (Due now, due within RETENTION_NOTICE), each with the
    day it falls due."""
    ended: dict[str, datetime | None] = {}
    for person_id, end in links:
        if person_id in ended and ended[person_id] is None:
            continue
        if end is None:
            ended[person_id] = None
        else:
            known = ended.get(person_id)
            ended[person_id] = end if known is None or end > known else known
    due, coming = {}, {}
    for person_id, last in ended.items():
        if last is None:
            continue
        on = add_years(last, years)
        if on <= now:
            due[person_id] = on
        elif on <= now + RETENTION_NOTICE:
            coming[person_id] = on
    return due, coming


def _at(data: Mapping[str, Any], path: tuple[str, ...]) -> Any:
    here: Any = data
    for key in path:
        if not isinstance(here, Mapping):
            return None
        here = here.get(key)
    return here


def _put(data: Mapping[str, Any], path: tuple[str, ...], value: Any) -> dict[str, Any]:
    head, *rest = path
    copy = dict(data)
    copy[head] = _put(copy[head], tuple(rest), value) if rest else value
    return copy
