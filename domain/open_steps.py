"""The human steps a person could take on a project now: what a page offers as forms.

The decider is asked, not imitated: each declared step is tried with its neutral samples
(domain.declarations: a rejection rather than an award, the smallest amount the policy
allows, a reviewer from no partner lab or country). A step is offered when a sample is
accepted, so every gate that does not depend on what the person will type (role, identity,
phase, deadlines, renewal window and limit, which report) is the decider's own; what they
do type is judged when they send it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from pydantic import BaseModel, ConfigDict

from domain.actors import Actor
from domain.application import Reviewer
from domain.commands import AssignReviewer, Command
from domain.decider import decide
from domain.declarations import PERSON_STEPS
from domain.errors import DomainError, NotPermitted
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


@dataclass(frozen=True)
class ClosedStep:
    """A step of this person's role, in a phase that accepts it, that a rule refuses now
    (approval before enough reviews, a report whose year has not begun, a renewal before
    its window opens): what a page shows instead of a form that could only be refused.
    `verdict`: the yes/no field of an offered step whose "yes" is refused so (a decision
    may reject now, not yet approve); None: the whole step. `message`: the rule's own
    words, as said (domain.said: readable in each language)."""

    command: str
    rule: str
    message: str
    report_id: str | None = None
    field: str | None = None
    verdict: str | None = None


# refusals a page explains first when a step is refused for several reasons (each sample
# its own): what the person waits for, rather than what is already behind them
_TELLING = (
    "evaluation.reviews",
    "report.too_early",
    "renewal.window",
    "report.not_submitted",
    "renewal.not_requested",
)


def _positive(state: ProjectState, policy: Policy) -> dict[str, dict[str, Any]]:
    """The "yes" of a step whose neutral sample is a "no": the lowest award the policy
    allows, never above what was requested."""
    low = policy.funding_for(state.instrument.code).funding_min_eur
    return {
        "DecideApplication": {"approve": True, "awarded_eur": low, "reason": "sample"},
        "DecideRenewal": {"grant": True, "awarded_eur": low, "reason": "sample"},
    }


def _refusal(command: Command, state: ProjectState, policy: Policy) -> DomainError | None:
    try:
        decide(command, state, policy)
    except DomainError as err:
        return err
    return None


def _not_theirs(err: DomainError) -> bool:
    """Not the person's step at all, or not in this phase: a page does not mention it."""
    return isinstance(err, NotPermitted) or err.rule in ("phase", "project.unknown")


def closed_steps(
    state: ProjectState, actor: Actor, now: datetime, policy: Policy
) -> list[ClosedStep]:
    """The steps of this person's role and phase that no sample gets through now, each
    with the rule that refuses it; and the "yes" of an offered decision that a rule holds
    back (approval needs reviews). `policy`: the project's own."""
    if state.application is None:
        return []
    offered = {s.command for s in open_steps(state, actor, now, policy)}
    closed: list[ClosedStep] = []
    for name, declared in PERSON_STEPS.items():
        assert declared.person is not None
        if declared.person.from_file:
            continue
        if name in offered:
            positive = _positive(state, policy).get(name)
            if positive is None:
                continue
            command: Command = declared.command(  # type: ignore[assignment]
                command_id=_PROBE_ID, actor=actor, at=now, **positive
            )
            err = _refusal(command, state, policy)
            if err is not None and not _not_theirs(err):
                verdict = next(k for k, v in positive.items() if v is True)
                closed.append(_closed(name, None, err, verdict))
            continue
        refusals: list[tuple[str | None, DomainError]] = []
        for fields in declared.person.samples(state, policy):
            command = declared.command(  # type: ignore[assignment]
                command_id=_PROBE_ID, actor=actor, at=now, **fields
            )
            err = _refusal(command, state, policy)
            if err is None:  # open after all (a sample no form offers): nothing to say
                refusals = []
                break
            if _not_theirs(err):
                refusals = []
                break
            refusals.append((fields.get("report_id"), err))
        if refusals:
            ranked = sorted(
                refusals,
                key=lambda r: _TELLING.index(r[1].rule) if r[1].rule in _TELLING else 99,
            )
            report_id, err = ranked[0]
            closed.append(_closed(name, report_id, err, None))
    return closed


def _closed(name: str, report_id: str | None, err: DomainError, verdict: str | None) -> ClosedStep:
    return ClosedStep(
        command=name,
        report_id=report_id,
        rule=err.rule,
        message=err.message,
        field=err.field,
        verdict=verdict,
    )


def assignable(
    state: ProjectState, actor: Actor, now: datetime, policy: Policy, candidates: list[Reviewer]
) -> list[Reviewer]:
    """The candidates the decider would accept as this project's reviewer now (not assigned
    yet, no conflict of interest): the choices a page offers."""
    kept = []
    for reviewer in candidates:
        command = AssignReviewer(command_id=_PROBE_ID, actor=actor, at=now, reviewer=reviewer)
        if _refusal(command, state, policy) is None:
            kept.append(reviewer)
    return kept
