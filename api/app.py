"""The HTTP API: every CLI operation as an endpoint, with the same validation and texts.

422 names the field and the rule; 409 an illegal transition or a concurrent change; 404 an
unknown project; 403 a role that may not act. Who acts is the bearer token's person.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any
from uuid import uuid4

from fastapi import Depends, FastAPI, HTTPException, Query, Request, Response
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import ValidationError
from temporalio.client import WorkflowUpdateFailedError
from temporalio.exceptions import WorkflowAlreadyStartedError
from temporalio.service import RPCError, RPCStatusCode

from api.bodies import (
    DecisionBody,
    RenewalBody,
    RenewalDecisionBody,
    ReportBody,
    ReportReviewBody,
    ReviewBody,
    ReviewerBody,
    SubmitBody,
    SuccessorBody,
    TerminationBody,
)
from api.calendar import ics
from api.errors import refusal
from collab.catalog import instruments_catalog
from collab.projects import ProjectService
from domain.actors import Role
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
from domain.instruments import InstrumentCode
from domain.state import Phase
from eventstore.postgres import PostgresEventStore
from identity.people import PeopleDirectory, Person
from readmodels.projector import Projector
from readmodels.queries import (
    DeadlineRow,
    History,
    ProjectRow,
    deadlines_for_person,
    deadlines_within,
    get_project,
    history,
    list_projects,
)
from workflows.messages import StepResult


@dataclass
class Services:
    store: PostgresEventStore
    projects: ProjectService

    @property
    def people(self) -> PeopleDirectory:
        return PeopleDirectory(self.store)

    @property
    def projector(self) -> Projector:
        return Projector(self.store)


_bearer = HTTPBearer(auto_error=False, description="a personal token (collab users add)")


async def current_person(
    request: Request,
    creds: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Person:
    """The person behind the bearer token: the one seam an SSO login would replace."""
    if creds is None or creds.scheme.lower() != "bearer":
        raise HTTPException(401, {"message": "a bearer token is required", "rule": "auth"})
    services: Services = request.app.state.services
    found = await services.people.authenticate(creds.credentials)
    if found is None:
        raise HTTPException(401, {"message": "unknown or revoked token", "rule": "auth"})
    return found


Me = Annotated[Person, Depends(current_person)]


def create_app(services: Services) -> FastAPI:
    app = FastAPI(
        title="collab-lifecycle",
        description="Lifecycle of CNRS international collaboration instruments",
        version="0.1.0",
    )
    app.state.services = services

    async def step(target: str, who: Person, cls: type[Any], **fields: Any) -> StepResult:
        try:
            command: Command = cls(
                command_id=uuid4(), actor=who.actor, at=datetime.now(UTC), **fields
            )
        except ValidationError as err:
            raise HTTPException(422, err.errors(include_url=False, include_context=False)) from err
        try:
            if isinstance(command, SubmitApplication):
                return await services.projects.submit(command)
            return await services.projects.execute(target, command)
        except RPCError as err:
            if err.status is RPCStatusCode.NOT_FOUND and await services.store.stream_version(
                target
            ):
                # its workflow has completed: the project exists, but takes no more steps
                await fresh()
                row = await get_project(services.store, target)
                phase = row.phase if row else "ended"
                raise HTTPException(
                    409, {"message": f"project {target} is {phase}", "rule": "project.ended"}
                ) from err
            raise refusal(err, target) from err
        except WorkflowUpdateFailedError as err:
            raise refusal(err, target) from err
        except WorkflowAlreadyStartedError as err:  # its workflow has ended: no fresh start
            raise HTTPException(
                409, {"message": f"project {target} already exists", "rule": "project.exists"}
            ) from err

    async def fresh() -> None:
        await services.projector.catch_up()

    @app.get("/me", tags=["people"])
    async def me(who: Me) -> Person:
        return who

    @app.get("/instruments", tags=["catalog"])
    async def instruments() -> list[dict[str, Any]]:
        return instruments_catalog()

    @app.post("/projects", status_code=201, tags=["steps"])
    async def submit(body: SubmitBody, who: Me) -> StepResult:
        return await step(
            body.project_id,
            who,
            SubmitApplication,
            project_id=body.project_id,
            application=body.application,
        )

    @app.post("/projects/{project_id}/reviewers", tags=["steps"])
    async def assign_reviewer(project_id: str, body: ReviewerBody, who: Me) -> StepResult:
        # who the reviewer is (lab, country: what conflict of interest is checked against)
        # comes from the people directory, not from the request
        person = await services.people.get(body.reviewer_id)
        if person is None or person.role is not Role.REVIEWER:
            raise HTTPException(
                422,
                {
                    "message": f"reviewer_id: {body.reviewer_id} is not a registered reviewer",
                    "rule": "reviewer.unknown",
                },
            )
        reviewer = Reviewer(
            id=person.person_id, name=person.name, lab=person.lab, country=person.country
        )
        return await step(project_id, who, AssignReviewer, reviewer=reviewer)

    @app.post("/projects/{project_id}/reviews", tags=["steps"])
    async def review(project_id: str, body: ReviewBody, who: Me) -> StepResult:
        return await step(
            project_id, who, SubmitReview, scores=body.scores, recommendation=body.recommendation
        )

    @app.post("/projects/{project_id}/decision", tags=["steps"])
    async def decide(project_id: str, body: DecisionBody, who: Me) -> StepResult:
        return await step(
            project_id,
            who,
            DecideApplication,
            approve=body.approve,
            awarded_eur=body.awarded_eur,
            term_starts_at=body.term_starts_at,
            reason=body.reason,
        )

    @app.post("/projects/{project_id}/reports/{report_id}", tags=["steps"])
    async def submit_report(
        project_id: str, report_id: str, body: ReportBody, who: Me
    ) -> StepResult:
        return await step(project_id, who, SubmitReport, report_id=report_id, summary=body.summary)

    @app.post("/projects/{project_id}/reports/{report_id}/review", tags=["steps"])
    async def review_report(
        project_id: str, report_id: str, body: ReportReviewBody, who: Me
    ) -> StepResult:
        return await step(
            project_id,
            who,
            ReviewReport,
            report_id=report_id,
            accept=body.accept,
            reason=body.reason,
        )

    @app.post("/projects/{project_id}/renewal", tags=["steps"])
    async def request_renewal(project_id: str, body: RenewalBody, who: Me) -> StepResult:
        return await step(project_id, who, RequestRenewal, requested_eur=body.requested_eur)

    @app.post("/projects/{project_id}/renewal/decision", tags=["steps"])
    async def decide_renewal(project_id: str, body: RenewalDecisionBody, who: Me) -> StepResult:
        return await step(
            project_id,
            who,
            DecideRenewal,
            grant=body.grant,
            awarded_eur=body.awarded_eur,
            reason=body.reason,
        )

    @app.post("/projects/{project_id}/termination", tags=["steps"])
    async def terminate(project_id: str, body: TerminationBody, who: Me) -> StepResult:
        return await step(project_id, who, TerminateProject, reason=body.reason)

    @app.post("/projects/{project_id}/successor", tags=["steps"])
    async def link_successor(project_id: str, body: SuccessorBody, who: Me) -> StepResult:
        return await step(
            project_id,
            who,
            LinkSuccessor,
            successor_project_id=body.successor_project_id,
            successor_instrument=body.successor_instrument,
            reason=body.reason,
        )

    @app.get("/projects", tags=["questions"])
    async def projects(
        who: Me, instrument: InstrumentCode | None = None, state: Phase | None = None
    ) -> list[ProjectRow]:
        await fresh()
        return await list_projects(
            services.store,
            instrument=instrument.value if instrument else None,
            phase=state.value if state else None,
        )

    @app.get("/projects/{project_id}", tags=["questions"])
    async def project(project_id: str, who: Me) -> dict[str, Any]:
        await fresh()
        row = await get_project(services.store, project_id)
        if row is None:
            raise HTTPException(404, {"message": f"project {project_id} not found", "rule": None})
        due = await deadlines_within(
            services.store, datetime.now(UTC), timedelta(days=365 * 30), project_id
        )
        return {"project": row, "deadlines": due}

    @app.get("/projects/{project_id}/history", tags=["questions"])
    async def project_history(project_id: str, who: Me) -> History:
        found = await history(services.store, project_id)
        if found is None:
            raise HTTPException(404, {"message": f"project {project_id} not found", "rule": None})
        return found

    @app.get("/deadlines", tags=["questions"])
    async def deadlines(
        who: Me, within_days: Annotated[int, Query(ge=0, le=36500)] = 90
    ) -> list[DeadlineRow]:
        await fresh()
        return await deadlines_within(
            services.store, datetime.now(UTC), timedelta(days=within_days)
        )

    @app.get("/audit/verify", tags=["questions"])
    async def audit_verify(who: Me) -> dict[str, Any]:
        broken = await services.store.verify()
        if broken is None:
            return {"intact": True, "first_break": None}
        return {
            "intact": False,
            "first_break": {
                "project_id": broken.stream_id,
                "version": broken.version,
                "event_id": str(broken.event_id),
                "detail": broken.detail,
            },
        }

    @app.get(
        "/calendar/{calendar_token}.ics",
        tags=["calendar"],
        response_class=Response,
        responses={200: {"content": {"text/calendar": {}}}},
    )
    async def calendar(calendar_token: str) -> Response:
        who = await services.people.calendar_owner(calendar_token)
        if who is None:
            raise HTTPException(404, {"message": "no such calendar", "rule": "auth"})
        await fresh()
        rows = await deadlines_for_person(services.store, who.person_id, who.role.value)
        return Response(ics(who.name, rows, datetime.now(UTC)), media_type="text/calendar")

    return app
