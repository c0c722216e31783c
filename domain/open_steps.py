"""The human steps a person could take on a project now: what a page offers as forms.

The decider is asked, not imitated: each step is tried with neutral sample input (a
rejection rather than an award, the smallest amount the policy allows, a reviewer from no
partner lab or country). A step is offered when that sample is accepted, so every gate that
does not depend on what the person will type (role, identity, phase, deadlines, renewal
window and limit, which report) is the decider's own; what they do type is judged when
they send it."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any
from uuid import UUID

from pydantic import BaseModel, ConfigDict

from domain.actors import Actor
from domain.application import Reviewer
from domain.commands import (
    AssignReviewer,
    Command,
    DecideApplication,
    DecideRenewal,
    LinkSuccessor,
    RequestRenewal,
    ReviewReport,
    SubmitReport,
    SubmitReview,
    TerminateProject,
)
from domain.decider import decide
from domain.errors import DomainError
from domain.events import Recommendation
from domain.policy import DEFAULT_POLICY, Policy
from domain.state import ProjectState


class OpenStep(BaseModel):
    model_config = ConfigDict(frozen=True)

    command: str  # the command's class name
    report_id: str | None = None


_PROBE_ID = UUID(int=0)
_SAMPLE = "sample"


def _samples(state: ProjectState, policy: Policy) -> Iterator[tuple[type[Any], dict[str, Any]]]:
    assert state.application is not None
    instrument = state.instrument
    yield (
        AssignReviewer,
        {"reviewer": Reviewer(id=_SAMPLE, name=_SAMPLE, lab=_SAMPLE, country="ZZ")},
    )
    yield SubmitReview, {"scores": {_SAMPLE: 3}, "recommendation": Recommendation.FUND}
    yield DecideApplication, {"approve": False, "reason": _SAMPLE}
    for report in state.reports:
        yield SubmitReport, {"report_id": report.report_id, "summary": _SAMPLE}
    for report in state.reports:
        yield ReviewReport, {"report_id": report.report_id, "accept": False, "reason": _SAMPLE}
    lowest = policy.funding_for(instrument.code).funding_min_eur
    yield RequestRenewal, {"requested_eur": lowest}
    yield DecideRenewal, {"grant": False, "reason": _SAMPLE}
    yield TerminateProject, {"reason": _SAMPLE}
    if instrument.successor is not None:
        yield (
            LinkSuccessor,
            {
                "successor_project_id": f"{state.project_id}-successor",
                "successor_instrument": instrument.successor,
                "reason": _SAMPLE,
            },
        )


def open_steps(
    state: ProjectState, actor: Actor, now: datetime, policy: Policy = DEFAULT_POLICY
) -> list[OpenStep]:
    if state.application is None:
        return []
    steps: list[OpenStep] = []
    for cls, fields in _samples(state, policy):
        reason = fields.pop("reason", None)
        command: Command = cls(command_id=_PROBE_ID, actor=actor, at=now, reason=reason, **fields)
        try:
            decide(command, state, policy)
        except DomainError:
            continue
        steps.append(OpenStep(command=cls.__name__, report_id=fields.get("report_id")))
    return steps
