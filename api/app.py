"""The HTTP API: every CLI operation as an endpoint, with the same validation and texts.

422 names the field and the rule; 409 an illegal transition or a concurrent change; 404 an
unknown project; 403 a role that may not act. Who acts is the bearer token's person.
"""

from __future__ import annotations

import secrets
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

from fastapi import Depends, FastAPI, HTTPException, Query, Request, Response
from fastapi.responses import RedirectResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

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
from api.errors import http_error, not_found
from api.portfolio_query import portfolio_filter
from collab.catalog import instruments_catalog
from collab.steps import Refused, Services, take_step
from collab.steps import assign_reviewer as assign_reviewer_step
from domain.actors import Role
from domain.commands import (
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
from identity.people import Person
from readmodels.history_views import history_for
from readmodels.queries import DeadlineRow, History
from readmodels.views import (
    PortfolioFilter,
    PortfolioRow,
    deadlines_for,
    portfolio,
    project_for,
)
from web.identity import TokenSignIn
from web.pages import WebConfig, mount_pages
from workflows.messages import StepResult

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


def create_app(services: Services, web: WebConfig | None = None) -> FastAPI:
    """The API, and the pages under /ui (signed in with the same personal token)."""
    app = FastAPI(
        title="collab-lifecycle",
        description="Lifecycle of CNRS international collaboration instruments",
        version="0.1.0",
    )
    app.state.services = services
    mount_pages(
        app,
        services,
        web or WebConfig(TokenSignIn(services.people), secrets.token_bytes(32)),
    )

    @app.get("/", include_in_schema=False)
    async def root() -> RedirectResponse:
        return RedirectResponse("/ui/portfolio", status_code=303)

    async def step(target: str, who: Person, cls: type[Any], **fields: Any) -> StepResult:
        try:
            return await take_step(services, target, who, cls, **fields)
        except Refused as err:
            raise http_error(err) from err

    async def fresh() -> None:
        await services.fresh()

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
        try:
            return await assign_reviewer_step(services, project_id, who, body.reviewer_id)
        except Refused as err:
            raise http_error(err) from err

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
        who: Me, where: Annotated[PortfolioFilter, Depends(portfolio_filter)]
    ) -> list[PortfolioRow]:
        """The projects this person may see: officers and auditors all, a coordinator their
        own, a reviewer those assigned to them."""
        await fresh()
        return await portfolio(services.store, who.actor, where)

    @app.get("/projects/{project_id}", tags=["questions"])
    async def project(project_id: str, who: Me) -> dict[str, Any]:
        await fresh()
        row = await project_for(services.store, who.actor, project_id)
        if row is None:
            raise not_found(project_id)
        due = await deadlines_for(
            services.store, who.actor, datetime.now(UTC), timedelta(days=365 * 30), project_id
        )
        return {"project": row, "deadlines": due}

    @app.get("/projects/{project_id}/history", tags=["questions"])
    async def project_history(project_id: str, who: Me) -> History:
        await fresh()
        found = await history_for(services.store, who.actor, project_id)
        if found is None:
            raise not_found(project_id)
        return found

    @app.get("/deadlines", tags=["questions"])
    async def deadlines(
        who: Me, within_days: Annotated[int, Query(ge=0, le=36500)] = 90
    ) -> list[DeadlineRow]:
        await fresh()
        return await deadlines_for(
            services.store, who.actor, datetime.now(UTC), timedelta(days=within_days)
        )

    @app.get("/audit/verify", tags=["questions"])
    async def audit_verify(who: Me) -> dict[str, Any]:
        """The whole store's hash chains: for officers and auditors (a break names a project)."""
        if who.role not in (Role.AUDITOR, Role.DERCI_OFFICER, Role.INSTITUTE_OFFICER):
            raise HTTPException(
                403,
                {"message": f"{who.role.value} may not audit the whole store", "rule": "role"},
            )
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
        rows = await deadlines_for(
            services.store, who.actor, datetime.now(UTC), timedelta(days=365 * 30)
        )
        return Response(ics(who.name, rows, datetime.now(UTC)), media_type="text/calendar")

    return app
