"""The human steps a person could take on a project now: what a page offers as forms.

Only the gates that do not depend on what the person will type are checked here (role,
identity, phase, which report): the decider still judges the filled-in command."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict

from domain.actors import Actor, Role
from domain.authorization import ALLOWED_ROLES
from domain.commands import (
    AssignReviewer,
    CommandBase,
    DecideApplication,
    DecideRenewal,
    LinkSuccessor,
    RequestRenewal,
    ReviewReport,
    SubmitReport,
    SubmitReview,
    TerminateProject,
)
from domain.state import ProjectState, RenewalStatus, ReportStatus
from domain.step_phases import ACCEPTING


class OpenStep(BaseModel):
    model_config = ConfigDict(frozen=True)

    command: str  # the command's class name
    report_id: str | None = None


_HUMAN_STEPS: tuple[type[CommandBase], ...] = (
    AssignReviewer,
    SubmitReview,
    DecideApplication,
    SubmitReport,
    ReviewReport,
    RequestRenewal,
    DecideRenewal,
    TerminateProject,
    LinkSuccessor,
)


def open_steps(state: ProjectState, actor: Actor, now: datetime) -> list[OpenStep]:
    if state.application is None:
        return []
    if actor.role is Role.COORDINATOR and state.application.coordinator.id != actor.id:
        return []
    steps: list[OpenStep] = []
    for cls in _HUMAN_STEPS:
        if actor.role not in ALLOWED_ROLES[cls] or state.phase not in ACCEPTING[cls]:
            continue
        name = cls.__name__
        if cls is SubmitReview:
            if actor.id in state.reviewer_ids() and not state.reviewed_by(actor.id):
                steps.append(OpenStep(command=name))
        elif cls is SubmitReport:
            steps += [
                OpenStep(command=name, report_id=r.report_id)
                for r in state.reports
                if r.status in (ReportStatus.DUE, ReportStatus.REJECTED) and r.opens_at <= now
            ]
        elif cls is ReviewReport:
            steps += [
                OpenStep(command=name, report_id=r.report_id)
                for r in state.reports
                if r.status is ReportStatus.SUBMITTED
            ]
        elif cls is RequestRenewal:
            pending = state.renewal is not None and (
                state.term is None or state.renewal.term_number == state.term.number
            )
            if state.instrument.renewable and not pending:
                steps.append(OpenStep(command=name))
        elif cls is DecideRenewal:
            if state.renewal is not None and state.renewal.status is RenewalStatus.REQUESTED:
                steps.append(OpenStep(command=name))
        elif cls is LinkSuccessor:
            if state.instrument.successor is not None and state.successor_project_id is None:
                steps.append(OpenStep(command=name))
        else:
            steps.append(OpenStep(command=name))
    return steps
