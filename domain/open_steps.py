"""The human steps a person could take on a project now: what a page offers as forms.

The decider is asked, not imitated: each declared step is tried with its neutral samples
(domain.declarations: a rejection rather than an award, the smallest amount the policy
allows, a reviewer from no partner lab or country). A step is offered when a sample is
accepted, so every gate that does not depend on what the person will type (role, identity,
phase, deadlines, renewal window and limit, which report) is the decider's own; what they
do type is judged when they send it."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from pydantic import BaseModel, ConfigDict

from domain.actors import Actor
from domain.commands import Command
from domain.decider import decide
from domain.declarations import PERSON_STEPS
from domain.errors import DomainError
from domain.policy import Policy
from domain.state import ProjectState


class OpenStep(BaseModel):
    model_config = ConfigDict(frozen=True)

    command: str  # the command's class name
    report_id: str | None = None


_PROBE_ID = UUID(int=0)


def open_steps(state: ProjectState, actor: Actor, now: datetime, policy: Policy) -> list[OpenStep]:
    """`policy`: the project's own, the one its workflow decides with."""
    if state.application is None:
        return []
    steps: list[OpenStep] = []
    for name, declared in PERSON_STEPS.items():
        assert declared.person is not None
        for fields in declared.person.samples(state, policy):
            command: Command = declared.command(  # type: ignore[assignment]
                command_id=_PROBE_ID, actor=actor, at=now, **fields
            )
            try:
                decide(command, state, policy)
            except DomainError:
                continue
            step = OpenStep(command=name, report_id=fields.get("report_id"))
            if step not in steps:  # one form a step (a report's own), whichever sample passed
                steps.append(step)
    return steps
