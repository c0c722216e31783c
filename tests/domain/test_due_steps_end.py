"""Taking the steps that are due always ends: each decides at least one event, which moves
the project past it. A step that would decide nothing is refused as a defect (the workflow's
task fails and is retried once a fix is deployed) rather than taken again forever."""

from __future__ import annotations

import re
from typing import Any

import pytest

import domain.automation as automation
from domain.automation import StepDecidedNothing, next_step
from domain.policy import DEFAULT_POLICY
from tests.builders import utc
from tests.domain.test_lifecycle import funded


def test_every_due_step_of_a_five_year_life_moves_the_project_on() -> None:
    life = funded("IRP")
    taken = 0
    while (step := next_step(life.state, DEFAULT_POLICY)) is not None and step.due_at <= utc(
        2032, 1, 1
    ):
        before = life.state
        life.run_until(step.due_at)
        assert life.state is not before, step.label
        after = next_step(life.state, DEFAULT_POLICY)
        assert after is None or (after.due_at, after.label) != (step.due_at, step.label)
        taken += 1
    assert taken > 20  # tranches, reports, reminders, the term's end


def test_a_step_that_decides_nothing_is_refused_rather_than_taken_forever(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    life = funded("IRP")
    due = next_step(life.state, DEFAULT_POLICY)
    assert due is not None

    def nothing(*_: Any) -> list[Any]:  # a defect of the rules, injected
        return []

    monkeypatch.setattr(automation, "decide", nothing)
    with pytest.raises(StepDecidedNothing, match=re.escape(str(due.label))):
        life.run_until(due.due_at)
