"""The HTTP API: a step endpoint for every person's step declared in the domain, and the
questions. Who acts is the bearer token's person; every answer comes from the application
layer, and a refusal is its status with the rule's words (api.refusals).

422 names the field and the rule; 409 an illegal transition or a concurrent change; 404 an
unknown project (an id that could name none included); 403 a role that may not act; 401 no
or a revoked token; 413 a body over its bound (api.body_limit). The OpenAPI spec declares
each of them where it may be answered, in the refusal's shape, and the answers' closed sets
(api.answers); OPTIONS and 405 list every method of an address (api.methods).
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any, Literal, TypeVar

from fastapi import Depends, FastAPI, HTTPException, Path, Query, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.security import HTTPBearer
from fastapi.security.utils import get_authorization_scheme_param
from pydantic import BaseModel

from api.answers import (
    After,
    ClosingBody,
    DeadlinesAsk,
    DeadlinesPage,
    ForecastAnswer,
    HistoryOut,
    InstrumentOut,
    ProjectAnswer,
    ProjectsAsk,
    ProjectsPage,
    RankingBody,
)
from api.body_limit import BodyLimit
from api.calendar import FeedCache, etag, http_date, ics, labels_in, not_modified
from api.methods import add_options
from api.query_string import parameters, read_by
from api.refusals import (
    database_away,
    http_error,
    in_askers_language,
    malformed_request,
    responses,
)
from application.audit import AuditReport
from application.calls import CallView, ClosingOutcome
from application.catalog import instruments_catalog
from application.language import deadline_in, pick
from application.reads import MAX_FORECAST_YEARS
from application.refusals import Kind, Refusal, StoreUnreachable
from application.service import Application
from domain.call_round import Ranking
from domain.declarations import PERSON_STEPS, Declaration
from domain.fields import PROJECT_ID_PATTERN, REPORT_ID_PATTERN
from domain.institutes import Institute
from identity.people import Person
from workflows.messages import StepResult

T = TypeVar("T")

# any text: the application layer answers 404 for an id that could name no project, as for
# one that names none (and the pages, which take the same way, alike). The pattern is said,
# not enforced: an id outside it is a 404, never a 422.
ProjectIdPath = Annotated[
    str,
    Path(
        description="a project id (any other text names no project: 404)",
        json_schema_extra={"pattern": PROJECT_ID_PATTERN},
    ),
]
_PATH_TYPES: dict[str, Any] = {
    "project_id": ProjectIdPath,
    "report_id": Annotated[str, Path(pattern=REPORT_ID_PATTERN, max_length=40)],
}

# the refusals each kind of operation may answer (api.refusals.responses): a step on a
# project may find none; steps ask the workflow service, which may be out of reach
_STEP = (401, 403, 404, 409, 413, 422, 503)
_READ = (401, 422)


def _application(request: Request) -> Application:
    app: Application = request.app.state.application
    return app


class _BearerPerson(HTTPBearer):
    """The person behind the bearer token: the one seam an SSO login would replace. The
    bearer scheme itself, so that the spec names it, and one dependency where a scheme
    and a function of it were two (FastAPI's solving of the second was 30 us a request)."""

    async def __call__(self, request: Request) -> Person:  # type: ignore[override]
        scheme, token = get_authorization_scheme_param(request.headers.get("authorization"))
        if scheme.lower() != "bearer" or not token:
            raise http_error(Refusal(Kind.IDENTITY, "a bearer token is required", "auth"))
        return await _answer(_application(request).identities.by_token(token))


current_person = _BearerPerson(
    scheme_name="HTTPBearer", description="a personal token (collab users add)", auto_error=False
)
Me = Annotated[Person, Depends(current_person)]


def _json_page(answer: BaseModel, field: str, documents: list[str]) -> Response:
    """`answer` in JSON, its list `field` (its first, left empty) being `documents`, rows
    the database wrote in JSON (readmodels.views.portfolio_page_documents). Returned as a
    model, FastAPI would dump every row and validate it again against the declared answer."""
    empty = f'{{"{field}":[]'
    text = answer.model_dump_json()
    assert text.startswith(empty), "the rows' field must come first and be empty"
    rows = ",".join(documents)
    return Response(f'{{"{field}":[{rows}]{text[len(empty) :]}', media_type="application/json")


async def _answer(work: Awaitable[T]) -> T:
    try:
        return await work
    except Refusal as refusal:
        raise http_error(refusal) from refusal


def _step_endpoint(app: Application, declared: Declaration) -> Callable[..., Awaitable[Any]]:
    """POST at the step's declared path: its path fields, its input as the body, the
    token's person as who acts."""
    step = declared.person
    assert step is not None

    async def endpoint(**given: Any) -> StepResult:
        who: Person = given.pop("who")
        body = given.pop("body")
        project_id = given.pop("project_id", None)
        typed = {**body.model_dump(), **given}
        return await _answer(app.steps.take(declared, who, typed, project_id))

    keyword = inspect.Parameter.KEYWORD_ONLY
    names = (["project_id"] if step.on_project else []) + list(step.path_fields)
    endpoint.__signature__ = inspect.Signature(  # type: ignore[attr-defined]
        [inspect.Parameter(n, keyword, annotation=_PATH_TYPES[n]) for n in names]
        + [
            inspect.Parameter("body", keyword, annotation=step.input),
            inspect.Parameter("who", keyword, annotation=Me),
        ],
        return_annotation=StepResult,
    )
    endpoint.__name__ = declared.name
    endpoint.__doc__ = f"{declared.name}: " + ", ".join(sorted(r.value for r in declared.roles))
    return endpoint


def add_api(fastapi: FastAPI, app: Application) -> None:
    """The API's routes on `fastapi`, and what guards every request of the app (the pages'
    too): the body's bound, and malformed requests answered without their input."""
    fastapi.state.application = app
    fastapi.add_middleware(BodyLimit)
    fastapi.add_exception_handler(RequestValidationError, malformed_request)
    fastapi.add_exception_handler(HTTPException, in_askers_language)
    fastapi.add_exception_handler(StoreUnreachable, database_away)

    # the rows below are the read models' (returned as they are: FastAPI dumps them and
    # reads them into the declared answer, whose enums so check them on the way out); a
    # page of projects is written by the database (_json_page), its closed sets held by
    # the table's constraints
    @fastapi.get("/me", tags=["people"], responses=responses(401))
    async def me(who: Me) -> Person:
        return who

    @fastapi.get("/instruments", tags=["catalog"], response_model=list[InstrumentOut])
    async def instruments() -> Any:
        return instruments_catalog()

    @fastapi.get(
        "/projects",
        tags=["questions"],
        response_model=ProjectsPage,
        responses=responses(*_READ),
        openapi_extra=parameters(ProjectsAsk),
    )
    async def projects(who: Me, ask: Annotated[ProjectsAsk, Depends(read_by(ProjectsAsk))]) -> Any:
        """The projects this person may see (officers and auditors all, a coordinator their
        own, a reviewer those assigned to them), a page at a time: `next` is the `cursor`
        of the following page (null on the last), `total` counts every page."""
        shown = await _answer(
            app.reads.portfolio_documents(
                who.actor, ask.query(), ask.after, limit=ask.limit, cursor=ask.cursor
            )
        )
        return _json_page(
            ProjectsPage(projects=[], next=shown.next, total=shown.totals.projects),
            "projects",
            shown.rows,
        )

    @fastapi.get(
        "/projects/{project_id}",
        tags=["questions"],
        response_model=ProjectAnswer,
        responses=responses(401, 404, 422),
    )
    async def project(
        project_id: ProjectIdPath, who: Me, request: Request, after: After = None
    ) -> Any:
        row = await _answer(app.reads.project(who.actor, project_id, after))
        due = await app.reads.project_deadlines(who.actor, project_id)
        lang = pick(request.headers.get("accept-language"))
        return {"project": row, "deadlines": [deadline_in(d, lang) for d in due]}

    @fastapi.get(
        "/projects/{project_id}/history",
        tags=["questions"],
        response_model=HistoryOut,
        responses=responses(401, 404, 422),
    )
    async def project_history(project_id: ProjectIdPath, who: Me, after: After = None) -> Any:
        return await _answer(app.reads.history(who.actor, project_id, after))

    @fastapi.get(
        "/deadlines",
        tags=["questions"],
        response_model=DeadlinesPage,
        responses=responses(*_READ),
        openapi_extra=parameters(DeadlinesAsk),
    )
    async def deadlines(
        who: Me, request: Request, ask: Annotated[DeadlinesAsk, Depends(read_by(DeadlinesAsk))]
    ) -> Any:
        """What falls due within `within_days` (overdue included), soonest first, a page at
        a time like /projects."""
        page = await _answer(
            app.reads.deadlines(
                who.actor,
                timedelta(days=ask.within_days),
                ask.after,
                limit=ask.limit,
                cursor=ask.cursor,
            )
        )
        lang = pick(request.headers.get("accept-language"))
        rows = [deadline_in(d, lang) for d in page.rows]
        return {"deadlines": rows, "next": page.next, "total": page.total}

    @fastapi.get(
        "/forecast",
        tags=["questions"],
        response_model=ForecastAnswer,
        responses=responses(401, 403, 404, 422),
    )
    async def forecast(
        who: Me,
        first_year: Annotated[int | None, Query(alias="from", ge=2000, le=2100)] = None,
        years: Annotated[int, Query(ge=1, le=MAX_FORECAST_YEARS)] = 5,
        project: Annotated[str | None, Query(pattern=PROJECT_ID_PATTERN)] = None,
        after: After = None,
    ) -> Any:
        """The money ahead for each calendar year from `from` (this year by default), by
        instrument and institute: paid, scheduled, withheld (waiting for a report), at risk
        (its report overdue) and what pending renewals would add; CNRS funding and
        co-funding apart. `project`: one project only."""
        start = first_year or datetime.now(UTC).year
        rows = await _answer(app.reads.forecast(who.actor, start, years, project, after))
        return {"rows": rows}

    @fastapi.get("/calls/{year}", tags=["call"], responses=responses(401, 403, 422))
    async def call(who: Me, year: Annotated[int, Path(ge=2000, le=2100)]) -> CallView:
        """A year's IEA call: its applications by institute with their reviews' scores,
        each institute's ranking, the envelope used and left (as DERCI's proposal places
        them until the call is closed, then as closed), success rates by institute and
        partner country. For officers and auditors."""
        return await _answer(app.calls.show(year, who.actor))

    @fastapi.put(
        "/calls/{year}/rankings/{institute}",
        tags=["call"],
        responses=responses(401, 403, 409, 422),
    )
    async def rank(
        who: Me,
        year: Annotated[int, Path(ge=2000, le=2100)],
        institute: Institute,
        body: RankingBody,
    ) -> Ranking:
        """An institute officer's ranking of the institute's eligible applications, best
        first, with a reason; a new one replaces it until DERCI closes the call."""
        return await _answer(app.calls.rank(who, year, institute, body.ranking, body.reason))

    @fastapi.put(
        "/calls/{year}/closing",
        tags=["call"],
        responses=responses(401, 403, 409, 422, 503),
    )
    async def close_call(
        who: Me, year: Annotated[int, Path(ge=2000, le=2100)], body: ClosingBody
    ) -> ClosingOutcome:
        """DERCI closes the call: the proposal (GET /calls/{year}) as it stands or adjusted
        is recorded, then each application gets its own decision with the reason its place
        gives. Put again after a closing cut short, it takes the decisions not yet taken,
        and no other."""
        return await _answer(app.calls.close(who, year, body.reason, body.adjusted()))

    @fastapi.get("/audit/verify", tags=["questions"], responses=responses(401, 403, 503))
    async def audit_verify(who: Me) -> AuditReport:
        """The whole store's hash chains and its sealed ledger: for officers and auditors (a
        break names a project and an event)."""
        return await _answer(app.audit.verify(who.actor))

    feeds = FeedCache()  # the calendar feeds built last, by ETag

    @fastapi.get(
        "/calendar/{calendar_token}.ics",
        tags=["calendar"],
        response_class=Response,
        responses={
            200: {"content": {"text/calendar": {}}, "description": "an iCalendar feed"},
            **responses(404, 422),
        },
    )
    async def calendar(
        calendar_token: Annotated[str, Path(max_length=200)],
        request: Request,
        lang: Annotated[Literal["en", "fr"] | None, Query()] = None,
    ) -> Response:
        """404: no such calendar (the token is its only credential). `lang`: the entries'
        language (the page that gives the link sets it), else Accept-Language's. The
        deadlines from 90 days ago to two years ahead (readmodels.calendar_feed); `ETag`
        and `Last-Modified` answered, `If-None-Match` / `If-Modified-Since` get 304."""
        feed = await _answer(app.reads.calendar(calendar_token))
        said_in = lang or pick(request.headers.get("accept-language"))
        owner, now = feed.owner, datetime.now(UTC)
        day = feed.window.today.isoformat()
        tag = etag((owner.person_id, owner.role.value, owner.name, said_in, day, feed.version))
        since = feeds.last_modified((owner.person_id, said_in), tag, now)
        headers = {
            "ETag": tag,
            "Last-Modified": http_date(since),
            "Cache-Control": "private, no-cache",  # its URL is a credential: no shared cache
            "Vary": "Accept-Language",
        }
        held = request.headers.get("if-none-match"), request.headers.get("if-modified-since")
        if not_modified(tag, since, *held):
            return Response(status_code=304, headers=headers)
        body = feeds.get(tag)
        if body is None:
            rows = await _answer(app.reads.calendar_rows(feed))
            body = ics(owner.name, rows, now, said_in, labels_in(said_in))
            feeds.put(tag, body)
        return Response(body, media_type="text/calendar", headers=headers)

    # the steps after the questions: a request is matched against the routes in order,
    # and the questions are most of them (a coordinator's list 0.69 -> 0.66 ms in a loop)
    for declared in PERSON_STEPS.values():
        assert declared.person is not None
        fastapi.add_api_route(
            declared.person.path,
            _step_endpoint(app, declared),
            methods=["POST"],
            status_code=201 if declared.person.created else 200,
            response_model=StepResult,
            responses=responses(*(c for c in _STEP if c != 404 or declared.person.on_project)),
            tags=["steps"],
            name=declared.name,
            summary=declared.person.name,
        )

    add_options(fastapi)
