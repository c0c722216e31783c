"""The pages: portfolio, project, deadlines, sign-in. They ask and act through the
application layer, as the API and the CLI do: no rule or query is written here."""

from __future__ import annotations

import csv
import hashlib
import inspect
import io
import secrets
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from http import HTTPStatus
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Depends, FastAPI, Form, HTTPException, Query, Request
from fastapi.exception_handlers import http_exception_handler, request_validation_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, RedirectResponse, Response, StreamingResponse
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from jinja2 import pass_context
from jinja2.runtime import Context
from starlette.datastructures import URL
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware.gzip import GZipMiddleware
from starlette.routing import Mount

from application.language import deadline_in, in_language
from application.portfolio_query import PortfolioQuery
from application.reads import PortfolioView, ProjectView
from application.refusals import (
    HTTP_STATUS,
    RETRY_AFTER_S,
    Refusal,
    StoreUnreachable,
    out_of_reach,
)
from application.service import Application
from domain.actors import Role
from domain.countries import country_name
from domain.declarations import PERSON_STEPS
from domain.events import AMENDMENT_EVENT_TYPES
from domain.institutes import Institute
from domain.instruments import InstrumentCode
from domain.open_steps import OpenStep
from domain.said import said
from domain.state import Phase
from identity.people import Person
from identity.sessions import WebSession
from readmodels.queries import DeadlineRow
from readmodels.views import PortfolioRow, SortKey
from web.forms import FORMS, FormErrors, field_of, typed_fields
from web.i18n import LANG_COOKIE, LANGUAGES, pick_language, translator
from web.identity import SESSION_COOKIE, SESSION_SECONDS, SessionCookie, SignIn
from web.narration import people_to_name, tell
from web.oidc import (
    CALLBACK_PATH,
    FLOW_COOKIE,
    FLOW_SECONDS,
    ID_TOKEN_COOKIE,
    SignOn,
    SignOnRefused,
)
from web.page_input import BadPageInput, bad_query, read_query, refused_query
from web.portfolio_rows import amount, iso_day, portfolio_rows
from web.step_offers import page_offers
from web.throttle import SignInThrottle

HERE = Path(__file__).parent
# an exception handler as Starlette takes one
HttpAnswer = Callable[[Request, Exception], Response | Awaitable[Response]]
STATIC = HERE / "static"


def _static_version() -> str:
    digest = hashlib.sha256()
    for path in sorted(STATIC.rglob("*")):
        if path.is_file():
            digest.update(path.name.encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()[:10]


STATIC_VERSION = _static_version()
UI = "/ui"
STATIC_PREFIX = f"{UI}/static/{STATIC_VERSION}"
# the files' URL changes with any file's content: a browser keeps them a year, asks no more
STATIC_CACHE = "public, max-age=31536000, immutable"


class VersionedStatic(StaticFiles):
    """The static files under their versioned prefix, cached as long as browsers allow."""

    def file_response(self, *args: Any, **kwargs: Any) -> Response:
        response = super().file_response(*args, **kwargs)
        response.headers["Cache-Control"] = STATIC_CACHE
        return response


@dataclass
class WebConfig:
    sign_in: SignIn
    session_secret: bytes
    cookie_secure: bool = True
    # where people reach the service: absolute links are built on it, never on Host
    public_url: str = "http://127.0.0.1:8000"
    throttle: SignInThrottle = field(default_factory=SignInThrottle)
    # the institution's identity provider (OpenID Connect); None: the token form alone
    sign_on: SignOn | None = None

    @property
    def token_form(self) -> bool:
        return self.sign_on is None or self.sign_on.token_form


@dataclass
class Viewer:
    person: Person
    session: WebSession
    lang: str


class SignedOut(Exception):
    pass


def language(request: Request) -> str:
    return pick_language(
        request.query_params.get("lang"),
        request.cookies.get(LANG_COOKIE),
        request.headers.get("accept-language"),
    )


async def viewer(request: Request) -> Viewer:
    config: WebConfig = request.app.state.web
    session_id = SessionCookie(config.session_secret).open(request.cookies.get(SESSION_COOKIE))
    app: Application = request.app.state.application
    session = await app.sessions.live(session_id) if session_id else None
    if session is None:
        raise SignedOut()
    person = await config.sign_in.person(session.person_id)
    if person is None:
        raise SignedOut()
    return Viewer(person, session, language(request))


Who = Annotated[Viewer, Depends(viewer)]


Filter = Annotated[PortfolioQuery, Depends(read_query(PortfolioQuery))]
Cursor = Annotated[str | None, Query(max_length=600)]


@dataclass(frozen=True)
class Pages:
    """Links between the pages of a list: relative, with the list's own query."""

    first: str | None  # shown past the first page
    next: str | None
    total: int | None = None


def _pages(
    path: str, query: str, cursor: str | None, following: str | None, total: int | None = None
) -> Pages:
    def at(page_cursor: str | None) -> str:
        parts = [query] if query else []
        if page_cursor:
            parts.append(urlencode({"cursor": page_cursor}))
        return path + ("?" + "&".join(parts) if parts else "")

    return Pages(
        first=at(None) if cursor else None,
        next=at(following) if following else None,
        total=total,
    )


def _without(request: Request, *names: str) -> str:
    return urlencode([(k, v) for k, v in request.query_params.multi_items() if k not in names])


# the position of the viewer's own step, carried by the redirect that follows it
After = Annotated[int | None, Query(ge=0, le=2**63 - 1)]


class PortfolioAsk(PortfolioQuery):
    """The portfolio page's query string: its filters, where the page starts, and the
    position of the viewer's own step."""

    after: After = None
    cursor: Cursor = None


def mount_pages(app: FastAPI, application: Application, config: WebConfig) -> None:
    templates = Jinja2Templates(directory=HERE / "templates")
    # the templates ship with the code: no stat() of each file a page extends, every render
    templates.env.auto_reload = False
    templates.env.globals["static"] = STATIC_PREFIX
    templates.env.filters["eur"] = _eur
    templates.env.globals["portfolio_rows"] = portfolio_rows
    templates.env.filters["day"] = iso_day
    templates.env.filters["minute"] = lambda v: (
        "" if v is None else v.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")
    )
    codec = SessionCookie(config.session_secret)
    sessions = application.sessions
    reads = application.reads
    app.state.web = config
    app.state.application = application
    # as the app: Starlette's slash redirects are absolute, built on the request's Host header
    router = APIRouter(include_in_schema=False, redirect_slashes=False)
    # compressed on the way (Chart.js: 210 KB, about 70 KB gzipped); images are left as they are
    router.mount(
        STATIC_PREFIX.removeprefix(UI),
        GZipMiddleware(VersionedStatic(directory=STATIC), minimum_size=500, compresslevel=6),
        name="ui-static",
    )

    @app.exception_handler(SignedOut)
    async def to_sign_in(request: Request, exc: SignedOut) -> Response:
        target = "/ui/signin?" + urlencode({"next": _return_to(request)})
        if request.headers.get("HX-Request"):
            return Response(status_code=401, headers={"HX-Redirect": target})
        return RedirectResponse(target, status_code=303)

    # the API keeps its JSON answer to bad input; a page answers with a page
    api_answer = app.exception_handlers.get(
        RequestValidationError, request_validation_exception_handler
    )

    @app.exception_handler(RequestValidationError)
    async def bad_input(request: Request, exc: RequestValidationError) -> Response:
        if not _is_page(request):
            answer = api_answer(request, exc)
            return await answer if inspect.isawaitable(answer) else answer
        return bad_input_page(request, bad_query(exc))

    @app.exception_handler(BadPageInput)
    async def refused_input(request: Request, exc: BadPageInput) -> Response:
        return bad_input_page(request, exc)

    # a page's address refused as a whole (a form sent from a page opened before the session
    # changed, an address that is no page, a form's address typed or reloaded, the service
    # out of reach): a page in the reader's language, with the reason, not the API's JSON
    words = {
        403: ("refused_title", "nothing_recorded"),
        404: ("no_page_title", "no_page"),
        405: ("not_allowed_title", "not_allowed"),
        503: ("unavailable_title", "unavailable"),
    }

    def page_or(other: HttpAnswer) -> HttpAnswer:
        """A handler of HTTP exceptions: a page on a page's address, `other` elsewhere."""

        async def answer(request: Request, exc: Exception) -> Response:
            refused = _as_http(exc)
            if refused.status_code in words and _is_page(request):
                title, text = words[refused.status_code]
                # Starlette's own detail is the status's name, which says nothing more
                own = refused.detail != HTTPStatus(refused.status_code).phrase
                reason = in_language(refused.detail, language(request)) if own else None
                page = render(
                    request,
                    "not_a_page.html",
                    None,
                    refused.status_code,
                    title=title,
                    text=text,
                    reason=reason,
                )
                if refused.headers:  # Allow (405), Retry-After (503)
                    page.headers.update(refused.headers)
                return page
            answered = other(request, exc)
            if inspect.isawaitable(answered):
                return await answered
            return answered

        return answer

    # the API answers FastAPI's own HTTPException apart, and the database out of reach
    # (api.refusals): each kind wrapped
    for kind in (StarletteHTTPException, HTTPException, StoreUnreachable):
        app.add_exception_handler(
            kind, page_or(app.exception_handlers.get(kind, http_exception_handler))
        )

    def bad_input_page(request: Request, exc: BadPageInput) -> HTMLResponse:
        given = request.query_params
        problems = [
            p if p.value is not None else replace(p, value=given.get(p.name, ""))
            for p in exc.problems
        ]
        return render(request, "bad_input.html", None, 422, problems=problems)

    def render(
        request: Request,
        name: str,
        who: Viewer | None,
        status: int = 200,
        page_url: str | None = None,
        **context: Any,
    ) -> HTMLResponse:
        """`page_url`: the page's own GET address, where a POST renders it (language links)."""
        lang = who.lang if who else language(request)
        # refusals in the reader's language (application.language): the messages beside the
        # fields, and a page's refusal
        if isinstance(context.get("errors"), dict):
            context["errors"] = {k: in_language(v, lang) for k, v in context["errors"].items()}
        if isinstance(context.get("refusal"), str):
            context["refusal"] = in_language(context["refusal"], lang)
        for key in ("deadlines", "rows"):  # a project's, and the deadlines page's
            if isinstance(context.get(key), list):
                context[key] = [
                    deadline_in(d, lang) if isinstance(d, DeadlineRow) else d for d in context[key]
                ]
        # relative: a link built on request.url would carry whatever Host was sent
        here = URL(_path_and_query(request.url)) if page_url is None else URL(page_url)
        response = templates.TemplateResponse(
            request,
            name,
            {
                "t": translator(lang),
                "lang": lang,
                "languages": LANGUAGES,
                "who": who.person if who else None,
                "csrf": who.session.csrf if who else "",
                "path": request.url.path,
                "lang_links": {
                    code: str(here.include_query_params(lang=code)) for code in LANGUAGES
                },
                **context,
            },
            status_code=status,
        )
        if request.query_params.get("lang") in LANGUAGES:
            response.set_cookie(LANG_COOKIE, lang, max_age=365 * 86400, samesite="lax")
        return response

    def check_csrf(who: Viewer, token: str) -> None:
        if not secrets.compare_digest(token.encode(), who.session.csrf.encode()):
            # the page was opened before the session it was sent with (signed in again, or
            # out and in, in another window)
            raise HTTPException(
                403,
                said(
                    "this form was opened before you last signed in: "
                    "reload the page and send it again"
                ),
            )

    def sign_on_link(next_page: str) -> str:
        return "/ui/signin/start?" + urlencode({"next": _local(next_page)})

    def signin_form(
        request: Request, next_page: str, status: int = 200, error: str | None = None
    ) -> HTMLResponse:
        return render(
            request,
            "signin.html",
            None,
            status,
            next=_local(next_page),
            error=error,
            sign_on=config.sign_on is not None,
            sign_on_url=sign_on_link(next_page),
            token_form=config.token_form,
        )

    async def signed_in(
        request: Request, person: Person, next_page: str, id_token: str | None = None
    ) -> Response:
        """A new session for `person` (ending the one the browser held), then `next_page`.
        `id_token`: signed on at the provider (its sign-out ends that session too)."""
        session = await sessions.open(
            person.person_id,
            timedelta(seconds=SESSION_SECONDS),
            replacing=codec.open(request.cookies.get(SESSION_COOKIE)),
        )
        response = RedirectResponse(_local(next_page), status_code=303)
        response.set_cookie(
            SESSION_COOKIE,
            codec.seal(session.session_id),
            max_age=SESSION_SECONDS,
            httponly=True,
            secure=config.cookie_secure,
            samesite="lax",  # links from mail and calendars arrive signed in; forms carry CSRF
        )
        if config.sign_on is not None:
            if id_token is None:
                response.delete_cookie(ID_TOKEN_COOKIE, secure=config.cookie_secure, httponly=True)
            else:
                response.set_cookie(
                    ID_TOKEN_COOKIE,
                    config.sign_on.id_token_cookie(id_token) or "-",
                    max_age=SESSION_SECONDS,
                    httponly=True,
                    secure=config.cookie_secure,
                    samesite="lax",
                )
        return response

    # --- signing in and out ---

    @router.get("/signin", response_class=HTMLResponse)
    async def signin_page(request: Request, next: str = "/ui/portfolio") -> HTMLResponse:
        return signin_form(request, next)

    @router.post("/signin")
    async def signin(
        request: Request,
        token: Annotated[str, Form()],
        next: Annotated[str, Form()] = "/ui/portfolio",
    ) -> Response:
        if not config.token_form:  # the institution's sign-on only
            raise HTTPException(404, said("sign-in with a personal token is not offered here"))
        if not _same_origin(request):  # no signing a victim in from another site
            raise HTTPException(403, said("sign-in is accepted from this site's own form only"))
        t = translator(language(request))
        client = request.client.host if request.client else "unknown"
        wait = config.throttle.wait(client, token)
        if wait:
            # the credential is not even checked: guessing faster learns nothing
            slowed = signin_form(request, next, 429, t("too_many_sign_ins").format(seconds=wait))
            slowed.headers["Retry-After"] = str(wait)
            return slowed
        person = await config.sign_in.person_for(token)
        if person is None:
            config.throttle.failed(client, token)
            return signin_form(request, next, 401, t("bad_token"))
        config.throttle.succeeded(client, token)
        return await signed_in(request, person, next)

    def refused_sign_on(request: Request, refusal: SignOnRefused, next_page: str) -> Response:
        page = render(
            request,
            "signin_refused.html",
            None,
            refusal.status,
            page_url="/ui/signin",
            reason=refusal.reason,
            values=refusal.values,
            sign_on_url=sign_on_link(next_page),
        )
        page.delete_cookie(
            FLOW_COOKIE, path="/ui/signin", secure=config.cookie_secure, httponly=True
        )
        return page

    @router.get("/signin/start")
    async def sign_on_start(request: Request, next: str = "/ui/portfolio") -> Response:
        """To the institution's identity provider, carrying this flow in a cookie."""
        if config.sign_on is None:
            raise HTTPException(404, said("no identity provider is configured"))
        try:
            started = await config.sign_on.start(_local(next))
        except SignOnRefused as refusal:
            return refused_sign_on(request, refusal, next)
        response = RedirectResponse(started.url, status_code=303)
        response.set_cookie(
            FLOW_COOKIE,
            started.flow,
            max_age=FLOW_SECONDS,
            path="/ui/signin",
            httponly=True,
            secure=config.cookie_secure,
            samesite="lax",  # the provider sends the browser back with a top-level GET
        )
        return response

    @router.get(CALLBACK_PATH.removeprefix("/ui"))
    async def sign_on_callback(request: Request) -> Response:
        """The provider's answer: a person of the directory signed in, or a page saying why
        not. The flow is over either way (its cookie goes)."""
        if config.sign_on is None:
            raise HTTPException(404, said("no identity provider is configured"))
        try:
            done = await config.sign_on.finish(
                dict(request.query_params), request.cookies.get(FLOW_COOKIE)
            )
        except SignOnRefused as refusal:
            return refused_sign_on(request, refusal, "/ui/portfolio")
        response = await signed_in(request, done.person, done.next, done.id_token)
        response.delete_cookie(
            FLOW_COOKIE, path="/ui/signin", secure=config.cookie_secure, httponly=True
        )
        return response

    @router.post("/signout")
    async def signout(request: Request, who: Who, csrf: Annotated[str, Form()]) -> Response:
        check_csrf(who, csrf)
        await sessions.end(who.session.session_id)  # a copy of the cookie signs in no more
        signed_on = config.sign_on is not None and request.cookies.get(ID_TOKEN_COOKIE)
        # signed on at the provider: its session is ended next (the page's form may only
        # lead here, CSP's form-action 'self', hence a page of ours that sends on there)
        target = "/ui/signout/provider" if signed_on else "/ui/signin"
        response = RedirectResponse(target, status_code=303)
        response.delete_cookie(SESSION_COOKIE, secure=config.cookie_secure, httponly=True)
        return response

    @router.get("/signout/provider", response_class=HTMLResponse)
    async def signout_at_provider(request: Request) -> Response:
        """Signed out here, the browser is sent to end its session at the provider, when the
        provider's discovery document names an end_session_endpoint."""
        hint = request.cookies.get(ID_TOKEN_COOKIE)
        session_id = codec.open(request.cookies.get(SESSION_COOKIE))
        still_in = session_id is not None and await sessions.live(session_id) is not None
        target = None
        if config.sign_on is not None and hint and not still_in:
            target = await config.sign_on.sign_out_url(None if hint == "-" else hint)
        if target is None:
            response: Response = RedirectResponse("/ui/signin", status_code=303)
        else:
            response = render(request, "signed_out.html", None, provider_url=target)
            response.headers["Refresh"] = f"0; url={target}"
        response.delete_cookie(ID_TOKEN_COOKIE, secure=config.cookie_secure, httponly=True)
        return response

    # --- portfolio ---

    @router.get("/", include_in_schema=False)
    async def home() -> Response:
        return RedirectResponse("/ui/portfolio", status_code=303)

    @router.get("/portfolio", response_class=HTMLResponse)
    async def portfolio_page(
        request: Request,
        who: Who,
        where: Annotated[PortfolioAsk, Depends(read_query(PortfolioAsk))],
    ) -> HTMLResponse:
        cursor = where.cursor
        query = _without(request, "cursor", "after")
        actor = who.person.actor

        def listed(view: PortfolioView[Any]) -> dict[str, Any]:
            return {
                "totals": view.totals,
                "pages": _pages("/ui/portfolio", query, cursor, view.next),
                "where": where,
                # the export is of the list on screen: the same filters, in the page's language
                "csv_url": "/ui/portfolio.csv" + (f"?{query}" if query else ""),
                "phases": [p.value for p in Phase if p is not Phase.NEW],
            }

        if who.person.role is Role.COORDINATOR:
            # their own projects and what each asks of them next: no dashboard over others'
            own = await _asked(reads.own_portfolio(actor, where, where.after, cursor=cursor))
            return render(
                request,
                "portfolio.html",
                who,
                mine=True,
                rows=[row for row, _ in own.rows],
                next_due={r.project_id: deadline_in(d, who.lang) for r, d in own.rows if d},
                now=datetime.now(UTC),
                **listed(own),
            )
        shown = await _asked(reads.portfolio(actor, where, where.after, cursor=cursor))
        # the charts and the totals are the whole list's, every page
        drawn = await _asked(reads.charts(actor, where))
        return render(
            request,
            "portfolio.html",
            who,
            mine=False,
            rows=shown.rows,
            charts=drawn.model_dump(mode="json"),
            country_names={code: country_name(code, who.lang) for code in drawn.partner_countries},
            instruments=[i.value for i in InstrumentCode],
            institutes=[i.value for i in Institute],
            sort_keys=[k.value for k in SortKey],
            **listed(shown),
        )

    @router.get("/portfolio.csv")
    async def portfolio_csv(who: Who, where: Filter) -> Response:
        """Streamed a page of rows at a time: memory does not grow with the portfolio."""
        try:  # a bad filter is refused as the export is made, before its first page
            pages = reads.export(who.person.actor, where)
        except Refusal as refusal:
            raise refused_query(refusal) from refusal
        first = await _asked(anext(pages, []))  # a refusal (the database away) before 200

        async def body() -> AsyncIterator[str]:
            yield _csv_head(who.lang)
            yield _csv_rows(first, who.lang)
            async for rows in pages:
                yield _csv_rows(rows, who.lang)

        day = datetime.now(UTC).date().isoformat()
        name = f"{translator(who.lang)('csv.file')}-{day}.csv"
        return StreamingResponse(
            body(),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="{name}"'},
        )

    # --- a project ---

    async def project_context(
        who: Viewer, project_id: str, after: int | None = None, *, verify: bool
    ) -> dict[str, Any]:
        """Raises Refusal(NOT_FOUND) for a project this person may not see. `verify`: check
        the project's hash chain (a full page; its refreshes show what the page showed)."""
        view: ProjectView = await reads.project_view(who.person, project_id, after)
        history = await reads.history(who.person.actor, project_id)
        names: dict[str, str] = {}  # the people the history names by id, by name
        for person_id in sorted(people_to_name(history.events)):
            try:
                found = await application.identities.by_id(person_id)
            except Refusal:
                continue  # no longer in the directory: said by id
            names[person_id] = found.name
        return {
            "project": view.project,
            "state": view.state,
            "steps": view.steps,
            "steps_key": view.steps_key,
            "forms": FORMS,
            "reviewers": view.reviewers,
            "now": datetime.now(UTC),
            "deadlines": view.deadlines,
            "history": list(reversed(history.events)),
            "story": tell(history.events, who.lang, names),  # the history as sentences
            "amendment_types": AMENDMENT_EVENT_TYPES,  # shown with what they changed
            "chain_break": await reads.chain(project_id) if verify else None,
            "chain_checked": verify,
            # the steps offered, held back and set apart (its steps_key replaces the view's)
            **page_offers(view, who.person.actor, who.lang),
        }

    @router.get("/projects/{project_id}", response_class=HTMLResponse)
    async def project_page(
        request: Request, project_id: str, who: Who, done: str | None = None, after: After = None
    ) -> HTMLResponse:
        try:
            context = await project_context(who, project_id, after, verify=True)
        except Refusal:
            return render(request, "not_found.html", who, 404, project_id=project_id)
        # only the name of a step this page took: any other text would be shown as recorded
        done = done if done in FORMS else None
        return render(request, "project.html", who, errors={}, failed=None, done=done, **context)

    @router.get("/projects/{project_id}/live", response_class=HTMLResponse)
    async def project_live(
        request: Request, project_id: str, who: Who, steps: str | None = None
    ) -> Response:
        """The parts that change on their own (timers fire, others act): polled by htmx.
        The steps offered are sent along only when they changed, so a form being filled
        in is left alone otherwise. The hash chain is checked by the full page only."""
        try:
            context = await project_context(who, project_id, verify=False)
        except Refusal:
            # a poll, not a page a person reads (htmx swaps nothing on a 404): nothing to say
            return Response(status_code=404)
        changed = steps != context["steps_key"]
        return render(
            request,
            "_live.html",
            who,
            errors={},
            failed=None,
            done=None,
            steps_changed=changed,
            **context,
        )

    @router.post("/projects/{project_id}/steps/{command}", response_class=HTMLResponse)
    async def take(
        request: Request,
        project_id: str,
        command: str,
        who: Who,
        report_id: Annotated[str | None, Query(max_length=40)] = None,
    ) -> Response:
        posted = {k: str(v) for k, v in (await request.form()).items()}
        check_csrf(who, posted.get("csrf", ""))
        form = FORMS.get(command)
        if form is None:
            raise HTTPException(404, said("no step {command}", command=command[:60]))
        try:
            typed = typed_fields(form, posted, datetime.now(UTC).date(), translator(who.lang))
            if report_id is not None:
                typed["report_id"] = report_id
            result = await application.steps.take(
                PERSON_STEPS[command], who.person, typed, project_id
            )
        except FormErrors as err:
            status, errors = 422, err.errors
        except Refusal as refusal:
            status = HTTP_STATUS[refusal.kind]
            errors = {field_of(form, refusal.field): refusal.message}
        else:
            query = {"done": command}
            if result.position is not None:
                query["after"] = str(result.position)
            return RedirectResponse(
                f"/ui/projects/{project_id}?" + urlencode(query), status_code=303
            )
        failed = OpenStep(command=command, report_id=report_id)
        return await refused_page(request, who, project_id, failed, status, errors, posted)

    @router.get("/projects/{project_id}/steps/{command}")
    async def step_address(project_id: str, command: str, who: Who) -> Response:
        """A step's form posts here; the address reloaded or typed shows the project."""
        return RedirectResponse(f"/ui/projects/{quote(project_id, safe='')}", status_code=303)

    async def refused_page(
        request: Request,
        who: Viewer,
        project_id: str,
        failed: OpenStep,
        status: int,
        errors: dict[str, str],
        posted: dict[str, str],
    ) -> HTMLResponse:
        try:
            context = await project_context(who, project_id, verify=True)
        except Refusal:
            return render(request, "not_found.html", who, 404, project_id=project_id)
        if failed not in context["offers"].offered:
            # a step this person is not offered (a forged or stale post): say why at the top
            context["refusal"] = next(iter(errors.values()))
        return render(
            request,
            "project.html",
            who,
            status,
            page_url=f"/ui/projects/{project_id}",
            errors=errors,
            failed=failed,
            posted=posted,
            done=None,
            **context,
        )

    @router.get("/deadlines", response_class=HTMLResponse)
    async def deadlines_page(
        request: Request,
        who: Who,
        within: Annotated[int, Query(ge=1, le=3650)] = 90,
        cursor: Cursor = None,
    ) -> HTMLResponse:
        now = datetime.now(UTC)
        page = await _asked(
            reads.deadlines(who.person.actor, timedelta(days=within), cursor=cursor)
        )
        return render(
            request,
            "deadlines.html",
            who,
            rows=page.rows,
            pages=_pages("/ui/deadlines", f"within={within}", cursor, page.next, page.total),
            within=within,
            now=now,
            choices=(30, 90, 365),
            calendar_url=None,
        )

    async def deadlines_view(who: Viewer, within: int, cursor: str | None) -> dict[str, Any]:
        """The deadlines page as the person had it (its period, its page of rows)."""
        page = await _asked(
            reads.deadlines(who.person.actor, timedelta(days=within), cursor=cursor)
        )
        here = f"within={within}"
        return {
            "rows": page.rows,
            "pages": _pages("/ui/deadlines", here, cursor, page.next, page.total),
            "within": within,
            "cursor": cursor,
            "now": datetime.now(UTC),
            "choices": (30, 90, 365),
            "page_url": "/ui/deadlines?"
            + here
            + (f"&{urlencode({'cursor': cursor})}" if cursor else ""),
        }

    @router.get("/calendar-link", response_class=HTMLResponse)
    async def calendar_link_confirm(
        request: Request,
        who: Who,
        within: Annotated[int, Query(ge=1, le=3650)] = 90,
        cursor: Cursor = None,
    ) -> HTMLResponse:
        """Before a new link is made: the previous one will stop working."""
        view = await deadlines_view(who, within, cursor)
        return render(request, "deadlines.html", who, replacing=True, calendar_url=None, **view)

    @router.post("/calendar-link", response_class=HTMLResponse)
    async def calendar_link(
        request: Request,
        who: Who,
        csrf: Annotated[str, Form()],
        within: Annotated[int, Form(ge=1, le=3650)] = 90,
        cursor: Annotated[str | None, Form(max_length=600)] = None,
        confirm: Annotated[str, Form(max_length=10)] = "",
    ) -> HTMLResponse:
        """A new personal calendar link, shown once (only its hash is kept), on the
        deadlines page as the person had it; only once they confirmed that the previous
        link stops working."""
        check_csrf(who, csrf)
        view = await deadlines_view(who, within, cursor)
        if confirm != "yes":
            return render(request, "deadlines.html", who, replacing=True, calendar_url=None, **view)
        token = await application.identities.new_calendar_token(who.person)
        url = f"{config.public_url}/calendar/{token}.ics" if token else None
        return render(
            request,
            "deadlines.html",
            who,
            calendar_url=url,
            subscribe_url="webcal://" + url.split("://", 1)[1] if url else None,
            **view,
        )

    from web.imports_page import mount_import_page  # it uses this module's Who: imported here

    mount_import_page(router, templates, application, render, check_csrf)
    from web.ahead_pages import may_forecast, may_read_policy, mount_ahead_pages

    templates.env.globals["may_forecast"] = may_forecast  # the navigation's links
    templates.env.globals["may_read_policy"] = may_read_policy
    mount_ahead_pages(router, application, render)
    from web.call_page import may_see_calls, mount_call_page

    templates.env.globals["may_see_calls"] = may_see_calls
    mount_call_page(router, application, render, check_csrf)
    from web.privacy_page import may_erase, mount_privacy_page

    templates.env.globals["may_erase"] = may_erase
    mount_privacy_page(router, application, render, check_csrf)
    # mounted ahead of the API's routes: a page's path is matched against the pages' own
    # routes alone, once (included, it was tried against every API route first, then the
    # pages' routes twice); an API path is tried against this one prefix more
    app.router.routes.insert(0, Mount(UI, app=router))
    app.add_api_route(UI, home, include_in_schema=False)


@pass_context
def _eur(context: Context, value: Any) -> str:
    """An amount as the page's language writes it: 12,000 / 12 000 (a narrow no-break space)."""
    return amount(value, context.get("lang", "en"))


async def _asked(work: Any) -> Any:
    """A read's refusal (a bad filter) as the page's 422."""
    try:
        return await work
    except Refusal as refusal:
        raise refused_query(refusal) from refusal


def _as_http(exc: Exception) -> StarletteHTTPException:
    if isinstance(exc, StoreUnreachable):
        headers = {"Retry-After": str(RETRY_AFTER_S)}
        return StarletteHTTPException(503, out_of_reach().message, headers)
    assert isinstance(exc, StarletteHTTPException)
    return exc


def _is_page(request: Request) -> bool:
    return request.url.path == "/ui" or request.url.path.startswith("/ui/")


def _path_and_query(url: URL) -> str:
    return url.path + (f"?{url.query}" if url.query else "")


def _return_to(request: Request) -> str:
    """Where to come back after signing in: the page, never a fragment or a form's POST."""
    if request.headers.get("HX-Request"):
        current = URL(request.headers.get("HX-Current-URL", "/ui/portfolio"))
        return current.path + (f"?{current.query}" if current.query else "")
    if request.method != "GET":
        parts = request.url.path.split("/")
        return "/".join(parts[:4]) if request.url.path.startswith("/ui/projects/") else "/ui/"
    return _path_and_query(request.url)


def _same_origin(request: Request) -> bool:
    site = request.headers.get("sec-fetch-site")
    if site is not None and site not in ("same-origin", "none"):
        return False
    origin = request.headers.get("origin")
    if origin is None or origin == "null":
        return origin is None
    own = f"{request.url.scheme}://{request.url.netloc}"
    return origin == own


def _local(target: str) -> str:
    """Only same-site paths: a sign-in link cannot send anyone elsewhere."""
    if target.startswith("/ui/") and "//" not in target and "\\" not in target:
        return target
    return "/ui/portfolio"


CSV_COLUMNS = (
    "project_id",
    "instrument",
    "title",
    "phase",
    "institute",
    "coordinator",
    "labs",
    "countries",
    "term_starts_at",
    "term_ends_at",
    "awarded_eur",
    "total_awarded_eur",
    "released_eur",
    "withheld_eur",
    "to_come_eur",
    "cofunding_eur",
    "all_funding_eur",
)
# what the spreadsheet of each language expects: Excel in French splits on ";" (the comma
# is its decimal sign) and, like Excel in English, reads UTF-8 only after a byte-order mark
CSV_SEPARATOR = {"en": ",", "fr": ";"}
# each column's header: its label (web.i18n), "Instrument" being the same word in both
CSV_HEADERS = {c: f"csv.{c}" for c in CSV_COLUMNS} | {"instrument": "instrument"}
BOM = "\ufeff"


def _cell(value: object) -> object:
    """Text a spreadsheet would run as a formula is kept as text."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def _csv(rows: list[PortfolioRow], lang: str = "en") -> str:
    """The rows for a spreadsheet in `lang`: its headers and states in that language, its
    separator, a byte-order mark first."""
    return _csv_head(lang) + _csv_rows(rows, lang)


def _csv_head(lang: str) -> str:
    t = translator(lang)
    out = io.StringIO()
    out.write(BOM)
    writer = csv.writer(out, delimiter=CSV_SEPARATOR.get(lang, ","), lineterminator="\r\n")
    writer.writerow(t(CSV_HEADERS[column]) for column in CSV_COLUMNS)
    return out.getvalue()


def _csv_rows(rows: list[PortfolioRow], lang: str) -> str:
    t = translator(lang)
    out = io.StringIO()
    writer = csv.writer(out, delimiter=CSV_SEPARATOR.get(lang, ","), lineterminator="\r\n")
    for r in rows:
        writer.writerow(
            _cell(v)
            for v in [
                r.project_id,
                r.instrument,
                r.title,
                t(f"phase.{r.phase}"),
                r.institute or "",
                r.coordinator,
                "; ".join(lab["name"] for lab in r.labs),
                " ".join(r.countries),
                r.term_starts_at.date().isoformat() if r.term_starts_at else "",
                r.term_ends_at.date().isoformat() if r.term_ends_at else "",
                r.awarded_eur if r.awarded_eur is not None else "",
                r.total_awarded_eur,
                r.released_eur,
                r.withheld_eur,
                r.to_come_eur,
                r.cofunding_eur,
                r.all_funding_eur,
            ]
        )
    return out.getvalue()
