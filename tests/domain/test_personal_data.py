"""The inventory of personal data holds every place an event records a person, the README
says where it travels as the code does, and a running project forgets an erased person
while keeping what they did."""

from __future__ import annotations

import typing
from pathlib import Path

from pydantic import BaseModel

from domain.application import Person, Reviewer
from domain.events import EventEnvelope
from domain.personal_data import (
    ERASED_EMAIL,
    ERASED_NAME,
    PERSONAL_PATHS,
    TRAVELS,
    forget,
    people_in,
    transform,
)
from tests.builders import reviewer, utc
from tests.domain.life import Life

ROOT = Path(__file__).resolve().parents[2]


def person_paths(model: type[BaseModel], prefix: tuple[str, ...] = ()) -> set[tuple[str, ...]]:
    """Where a model's fields hold a person or a reviewer, however deep."""
    found = set()
    for name, field in model.model_fields.items():
        for kind in (field.annotation, *typing.get_args(field.annotation)):
            if kind in (Person, Reviewer):
                found.add((*prefix, name))
            elif isinstance(kind, type) and issubclass(kind, BaseModel):
                found |= person_paths(kind, (*prefix, name))
    return found


def test_every_person_an_event_records_is_in_the_inventory():
    recorded = {}
    for envelope in EventEnvelope.__subclasses__():
        if "type" not in envelope.model_fields:
            continue
        data = envelope.model_fields["data"].annotation
        paths = person_paths(data) if isinstance(data, type) else set()
        if paths:
            recorded[envelope.model_fields["type"].default] = paths
    assert {k: set(v) for k, v in PERSONAL_PATHS.items()} == recorded


def test_the_readme_says_where_personal_data_travels_as_the_code_does():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Personal data", 1)[1].split("\n## ", 1)[0]
    for where, *_ in TRAVELS:
        assert f"| {where} |" in section, where


def test_the_fields_are_found_and_replaced_where_the_inventory_says():
    data = {"previous": {"id": "pi-a", "name": "A", "email": "a@x.fr", "lab": "L"},
            "coordinator": {"id": "pi-b", "name": "B", "email": "b@x.fr", "lab": "L"}}  # fmt: skip
    assert people_in("CoordinatorReplaced", data) == {"pi-a", "pi-b"}
    hidden = transform("CoordinatorReplaced", data, lambda pid, f, v: f"{pid}/{f}")
    assert hidden["previous"] == {"id": "pi-a", "name": "pi-a/name", "email": "pi-a/email",
                                  "lab": "L"}  # fmt: skip
    assert data["previous"]["name"] == "A"  # a copy
    assert people_in("TrancheReleased", {"year": 1}) == set()


def test_a_running_project_forgets_an_erased_person_and_keeps_what_they_did():
    life = Life("P-forget")
    life.submit("IRP", utc(2026, 3, 2))
    life.evaluate(utc(2026, 3, 10))
    state = life.state
    rev = reviewer()
    forgot = forget(state, rev.id)
    assert [a.reviewer.name for a in forgot.assignments] == [ERASED_NAME]
    assert [a.reviewer.id for a in forgot.assignments] == [rev.id]
    assert forgot.reviews == state.reviews and forgot.application == state.application
    assert state.application is not None
    coordinator = state.application.coordinator.id
    gone = forget(state, coordinator)
    assert gone.application is not None
    assert (gone.application.coordinator.name, gone.application.coordinator.email) == (
        ERASED_NAME, ERASED_EMAIL,
    )  # fmt: skip
    assert forget(state, "nobody") is state


def test_the_retention_waits_for_every_project_of_a_person_to_have_ended_long_enough():
    from datetime import timedelta

    from domain.personal_data import retention

    now = utc(2040, 6, 1)
    links = [
        ("pi-old", utc(2029, 1, 1)), ("pi-old", utc(2030, 3, 1)),  # last ended 2030-03-01
        ("pi-running", utc(2020, 1, 1)), ("pi-running", None),  # one project still runs
        ("rev-soon", utc(2030, 6, 20)),  # due within the month
        ("rev-later", utc(2031, 1, 1)),
    ]  # fmt: skip
    due, coming = retention(links, 10, now)
    assert due == {"pi-old": utc(2040, 3, 1)}
    assert coming == {"rev-soon": utc(2040, 6, 20)}
    assert retention(links, 10, now + timedelta(days=365)) == (
        {"pi-old": utc(2040, 3, 1), "rev-soon": utc(2040, 6, 20), "rev-later": utc(2041, 1, 1)},
        {},
    )
