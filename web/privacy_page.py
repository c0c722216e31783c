"""The data-protection officer's page (`/ui/privacy`): what is kept about a person (their
directory row, the projects and every event naming them, the whole as JSON to hand over,
GDPR art. 15), and their erasure (art. 17), both through application.privacy as
`collab privacy` takes them."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Form, Path, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from application.privacy import OFFICERS
from application.refusals import HTTP_STATUS, Kind, Refusal
from application.service import Application
from domain.fields import PERSON_ID_PATTERN
from identity.people import Person
from web.imports_page import Render
from web.pages import Viewer, Who

PersonId = Annotated[str, Path(max_length=200, pattern=PERSON_ID_PATTERN)]


def may_erase(person: Person | None) -> bool:
    return person is not None and person.role in OFFICERS


def mount_privacy_page(
    router: APIRouter,
    application: Application,
    render: Render,
    check_csrf: Callable[[Viewer, str], None],
) -> None:
    privacy = application.privacy

    def refused(request: Request, who: Viewer, refusal: Refusal, **more: Any) -> HTMLResponse:
        return render(
            request, "privacy.html", who, HTTP_STATUS[refusal.kind], refusal=refusal.message, **more
        )

    @router.get("/privacy", response_class=HTMLResponse)
    async def privacy_page(
        request: Request,
        who: Who,
        person: Annotated[str | None, Query(max_length=200)] = None,
    ) -> Response:
        if person:
            return RedirectResponse(f"/ui/privacy/{person.strip()}", status_code=303)
        if not may_erase(who.person):
            return render(request, "privacy.html", who, HTTP_STATUS[Kind.PERMISSION], denied=True)
        return render(request, "privacy.html", who, kept=None)

    @router.get("/privacy/{person_id}", response_class=HTMLResponse)
    async def person_page(request: Request, who: Who, person_id: PersonId) -> HTMLResponse:
        try:
            kept = await privacy.export(who.person, person_id)
        except Refusal as refusal:
            return refused(request, who, refusal, kept=None, asked=person_id)
        return render(request, "privacy.html", who, page_url=f"/ui/privacy/{person_id}", kept=kept)

    @router.get("/privacy/{person_id}/export.json")
    async def person_export(who: Who, person_id: PersonId) -> Response:
        try:
            kept = await privacy.export(who.person, person_id)
        except Refusal as refusal:
            return Response(refusal.message, status_code=HTTP_STATUS[refusal.kind])
        return Response(
            kept.model_dump_json(indent=2),
            media_type="application/json",
            headers={
                "Content-Disposition": f'attachment; filename="{person_id}-export.json"',
                "Cache-Control": "no-store",
            },
        )

    @router.post("/privacy/{person_id}/erase", response_class=HTMLResponse)
    async def erase(
        request: Request,
        who: Who,
        person_id: PersonId,
        csrf: Annotated[str, Form()] = "",
        reason: Annotated[str, Form(max_length=2000)] = "",
        basis: Annotated[str, Form(max_length=2000)] = "",
        confirm: Annotated[str, Form(max_length=10)] = "",
    ) -> HTMLResponse:
        check_csrf(who, csrf)
        form = {"reason": reason, "basis": basis}
        try:
            kept = await privacy.export(who.person, person_id)
        except Refusal as refusal:
            return refused(request, who, refusal, kept=None, asked=person_id)
        if confirm != "yes":
            return render(
                request, "privacy.html", who, 422, kept=kept, form=form, field_error="confirm"
            )
        try:
            # the directory records who changed it: here the officer, through the pages
            by = f"pages:{who.person.person_id}"
            done = await privacy.erase(who.person, person_id, reason, basis, by)
        except Refusal as refusal:
            return refused(request, who, refusal, kept=kept, form=form)
        kept = await privacy.export(who.person, person_id)
        return render(request, "privacy.html", who, kept=kept, done=done)
