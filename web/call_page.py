"""The IEA call page (`/ui/calls/{year}`): the applications by institute with their scores,
the rankings, DERCI's proposal or the closing, the envelope used and left, success rates.
An institute officer submits a ranking here, a DERCI officer closes the call: both through
application.calls, as `collab call` and the API do."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Form, Path, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from application.calls import READERS, CallView
from application.refusals import HTTP_STATUS, Kind, Refusal
from application.service import Application
from domain.actors import Role
from domain.call_round import MAX_RANKED
from domain.institutes import Institute
from identity.people import Person
from web.imports_page import Render
from web.pages import Viewer, Who

Year = Annotated[int, Path(ge=2000, le=2100)]
_TEXT_BOUND = 20_000  # a ranking or a list of adjustments, as typed


def may_see_calls(person: Person | None) -> bool:
    return person is not None and person.role in READERS


def _ids(text: str) -> list[str]:
    """Project ids as people paste them: one per line, or separated by commas or spaces."""
    return [p for p in text.replace(",", " ").split() if p][: MAX_RANKED + 1]


def _adjustments(text: str) -> dict[str, int] | None:
    """`IEA-12 = 11 000` per line (amounts as people write them); None: a line is not."""
    adjusted: dict[str, int] = {}
    for line in text.splitlines():
        if not line.strip():
            continue
        project, sep, amount = line.partition("=")
        digits = "".join(ch for ch in amount if not ch.isspace() and ch not in ",.\u202f\u00a0")
        if not sep or not project.strip() or not digits.isdigit() or len(digits) > 9:
            return None
        adjusted[project.strip()] = int(digits)
    return adjusted


def _grouped(view: CallView) -> list[tuple[str, list[Any]]]:
    by_institute: dict[str, list[Any]] = {}
    for row in view.applications:
        key = row.candidate.institute.value if row.candidate.institute else ""
        by_institute.setdefault(key, []).append(row)
    for rows in by_institute.values():
        rows.sort(key=lambda r: (r.rank or MAX_RANKED + 1, r.candidate.project_id))
    return sorted(by_institute.items())


def mount_call_page(
    router: APIRouter,
    application: Application,
    render: Render,
    check_csrf: Callable[[Viewer, str], None],
) -> None:
    calls = application.calls

    async def show(
        request: Request, who: Viewer, year: int, status: int = 200, **said: Any
    ) -> HTMLResponse:
        try:
            view = await calls.show(year, who.person.actor)
        except Refusal as refusal:
            return render(
                request, "call.html", who, HTTP_STATUS[refusal.kind], refusal=refusal.message
            )
        return render(
            request,
            "call.html",
            who,
            status,
            page_url=f"/ui/calls/{year}",
            view=view,
            grouped=_grouped(view),
            institutes=[i.value for i in Institute],
            may_rank=who.person.role is Role.INSTITUTE_OFFICER and view.stage == "evaluation",
            may_close=who.person.role is Role.DERCI_OFFICER and view.stage == "evaluation",
            refusal=said.pop("refusal", None),
            **said,
        )

    @router.get("/calls", response_class=HTMLResponse)
    async def this_years_call(who: Who) -> Response:
        return RedirectResponse(f"/ui/calls/{datetime.now(UTC).year}", status_code=303)

    @router.get("/calls/{year}", response_class=HTMLResponse)
    async def call_page(request: Request, who: Who, year: Year) -> HTMLResponse:
        return await show(request, who, year)

    @router.post("/calls/{year}/ranking", response_class=HTMLResponse)
    async def rank(
        request: Request,
        who: Who,
        year: Year,
        csrf: Annotated[str, Form()] = "",
        institute: Annotated[str, Form(max_length=10)] = "",
        ranking: Annotated[str, Form(max_length=_TEXT_BOUND)] = "",
        reason: Annotated[str, Form(max_length=2000)] = "",
    ) -> Response:
        check_csrf(who, csrf)
        form = {"institute": institute, "ranking": ranking, "reason": reason}
        if institute not in {i.value for i in Institute}:
            return await show(request, who, year, 422, form=form, field_error="institute")
        try:
            await calls.rank(who.person, year, Institute(institute), _ids(ranking), reason)
        except Refusal as refusal:
            status = HTTP_STATUS[refusal.kind]
            return await show(request, who, year, status, form=form, refusal=refusal.message)
        return RedirectResponse(f"/ui/calls/{year}#rankings", status_code=303)

    @router.post("/calls/{year}/closing", response_class=HTMLResponse)
    async def close(
        request: Request,
        who: Who,
        year: Year,
        csrf: Annotated[str, Form()] = "",
        adjustments: Annotated[str, Form(max_length=_TEXT_BOUND)] = "",
        reason: Annotated[str, Form(max_length=2000)] = "",
    ) -> Response:
        check_csrf(who, csrf)
        form = {"adjustments": adjustments, "reason": reason}
        adjusted = _adjustments(adjustments)
        if adjusted is None:
            return await show(request, who, year, 422, closing=form, field_error="adjustments")
        try:
            outcome = await calls.close(who.person, year, reason, adjusted)
        except Refusal as refusal:
            status = HTTP_STATUS.get(refusal.kind, HTTP_STATUS[Kind.RULE])
            return await show(request, who, year, status, closing=form, refusal=refusal.message)
        return await show(request, who, year, outcome=outcome)
