"""Human steps from the command line: each builds a domain command and hands it to the
project's workflow through the application service. Rules are the domain's; a refusal
comes back with the rule's own words."""

from __future__ import annotations

import argparse
import contextlib
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import uuid4

from pydantic import ValidationError
from temporalio.client import WorkflowExecutionStatus, WorkflowUpdateFailedError
from temporalio.exceptions import WorkflowAlreadyStartedError
from temporalio.service import RPCError, RPCStatusCode

from collab.application_file import load_application
from collab.database import open_store
from collab.errors import USAGE, CliError, describe_validation
from application.projects import ProjectService, refusal_of
from collab.settings import Settings
from collab.steps import Refused, Services, check_successor
from collab.temporal_client import connect_client
from domain.actors import Actor, Role
from domain.application import Reviewer
from domain.commands import (
    AssignReviewer,
    Command,
    DecideApplication,
    DecideRenewal,
    LinkSuccessor,
    RequestRenewal,
    ReviewReport,
    SubmitApplication,
    SubmitReport,
    SubmitReview,
    TerminateProject,
)
from domain.events import Recommendation
from workflows.messages import StepResult
from workflows.project import ProjectWorkflow


@contextlib.asynccontextmanager
async def project_service(settings: Settings) -> AsyncIterator[ProjectService]:
    try:
        client = await connect_client(settings)
    except RuntimeError as err:
        raise CliError(
            f"cannot reach Temporal at {settings.temporal_target}: is `collab up` running? ({err})"
        ) from err
    yield ProjectService(client, settings.task_queue)


def _actor(args: argparse.Namespace) -> Actor:
    try:
        role = Role(args.role)
    except ValueError as err:
        roles = ", ".join(r.value for r in Role)
        raise CliError(f"--role: unknown role {args.role!r}; one of {roles}", USAGE) from err
    try:
        return Actor(id=args.actor, role=role)
    except ValidationError as err:
        problems = "; ".join(e["msg"] for e in err.errors())
        raise CliError(f"--as: {problems}", USAGE) from err


def _build(cls: type[Any], args: argparse.Namespace, **fields: Any) -> Command:
    try:
        command: Command = cls(
            command_id=uuid4(),
            actor=_actor(args),
            at=datetime.now(UTC),
            reason=getattr(args, "reason", None),
            **fields,
        )
    except ValidationError as err:
        raise CliError(describe_validation(err)) from err
    return command


async def _send(settings: Settings, project_id: str | None, command: Command) -> StepResult:
    async with project_service(settings) as service:
        try:
            if isinstance(command, SubmitApplication):
                return await service.submit(command)
            assert project_id is not None
            return await service.execute(project_id, command)
        except WorkflowUpdateFailedError as err:
            cause = refusal_of(err.cause)
            raise CliError(cause.message if cause else str(err.cause or err)) from err
        except WorkflowAlreadyStartedError as err:
            raise CliError(f"project {project_id} already exists") from err
        except RPCError as err:
            if err.status is RPCStatusCode.NOT_FOUND:
                raise CliError(await _not_running(service, project_id)) from err
            raise CliError(f"Temporal refused the request: {err.message}") from err


async def _not_running(service: ProjectService, project_id: str | None) -> str:
    """Why a step found no running workflow: the project never existed, or its life is over
    (its workflow completed), which `collab status` shows: say which, as the API does."""
    assert project_id is not None
    try:
        described = await service.handle(project_id).describe()
    except RPCError:
        return f"project {project_id} not found"
    if described.status is not WorkflowExecutionStatus.COMPLETED:
        return f"project {project_id} not found"  # e.g. a refused submission's, expired
    try:
        state = await service.handle(project_id).query(
            ProjectWorkflow.state, rpc_timeout=timedelta(seconds=10)
        )
        phase = state.phase.value
    except Exception:  # the query needs a worker; the fact that it ended is enough
        return f"project {project_id} has ended: it takes no more steps"
    return f"project {project_id} is {phase}: it takes no more steps"


def _start_of(text: str | None) -> datetime | None:
    """A date (midnight UTC) or an ISO timestamp (UTC when no offset is given)."""
    if text is None:
        return None
    try:
        if "T" not in text:
            return datetime.combine(date.fromisoformat(text), datetime.min.time(), tzinfo=UTC)
        moment = datetime.fromisoformat(text)
    except ValueError as err:
        raise CliError(
            f"--start: expected YYYY-MM-DD or an ISO timestamp; got {text!r}", USAGE
        ) from err
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _scores(pairs: list[str]) -> dict[str, int]:
    scores = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not value.strip().lstrip("-").isdigit():
            raise CliError(f"--score: expected NAME=1..5; got {pair!r}", USAGE)
        scores[name.strip()] = int(value)
    return scores


async def run_step(args: argparse.Namespace, settings: Settings) -> StepResult:
    """Dispatch one human step; returns the workflow's answer."""
    step = args.step
    pid = getattr(args, "project", None)
    if step == "submit":
        loaded = load_application(Path(args.file))
        if args.actor is None:
            args.actor = loaded.application.coordinator.id
        cmd = _build(
            SubmitApplication, args, project_id=loaded.project_id, application=loaded.application
        )
        return await _send(settings, loaded.project_id, cmd)
    if step == "assign-reviewer":
        try:
            reviewer = Reviewer(
                id=args.reviewer, name=args.name, lab=args.lab, country=args.country
            )
        except ValidationError as err:
            raise CliError(describe_validation(err, "reviewer.")) from err
        return await _send(settings, pid, _build(AssignReviewer, args, reviewer=reviewer))
    if step == "review":
        cmd = _build(
            SubmitReview,
            args,
            scores=_scores(args.score),
            recommendation=Recommendation(args.recommendation),
        )
        return await _send(settings, pid, cmd)
    if step == "decide":
        cmd = _build(
            DecideApplication,
            args,
            approve=args.decision == "approve",
            awarded_eur=args.amount,
            term_starts_at=_start_of(args.start),
        )
        return await _send(settings, pid, cmd)
    if step == "report-submit":
        cmd = _build(SubmitReport, args, report_id=args.report, summary=args.summary)
        return await _send(settings, pid, cmd)
    if step == "report-review":
        cmd = _build(ReviewReport, args, report_id=args.report, accept=args.verdict == "accept")
        return await _send(settings, pid, cmd)
    if step == "renewal-request":
        return await _send(settings, pid, _build(RequestRenewal, args, requested_eur=args.amount))
    if step == "renewal-decide":
        cmd = _build(DecideRenewal, args, grant=args.decision == "grant", awarded_eur=args.amount)
        return await _send(settings, pid, cmd)
    if step == "terminate":
        return await _send(settings, pid, _build(TerminateProject, args))
    if step == "link-successor":
        cmd = _build(
            LinkSuccessor,
            args,
            successor_project_id=args.successor,
            successor_instrument=args.successor_instrument,
        )
        await _successor_known(settings, pid, cmd)
        return await _send(settings, pid, cmd)
    raise CliError(f"unknown step {step}", USAGE)


async def _successor_known(settings: Settings, project_id: str, command: LinkSuccessor) -> None:
    """The same check as the API's: a link names a project that exists, of its instrument."""
    async with open_store(settings) as store, project_service(settings) as projects:
        try:
            await check_successor(Services(store=store, projects=projects), project_id, command)
        except Refused as err:
            raise CliError(err.message) from err
        except RPCError:
            return  # no running workflow: sending the step says why, as for any step
