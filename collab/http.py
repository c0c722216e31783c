"""The HTTP side of the service: the API and the pages, two entry points over one
application, served by one FastAPI app."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.responses import RedirectResponse

from api.app import add_api
from api.health import DEFAULT_MAX_PROJECTOR_LAG_S, add_health
from application.service import Application
from collab import tracing
from web.api_docs import mount_api_docs
from web.identity import SignIn, TokenSignIn
from web.oidc import SignOn, SignOnSettings
from web.pages import WebConfig, mount_pages
from web.security_headers import SecurityHeaders
from web.throttle import Limits, SignInThrottle

DEFAULT_PUBLIC_URL = "http://127.0.0.1:8000"


def http_app(
    app: Application,
    session_secret: bytes,
    cookie_secure: bool = True,
    sign_in: SignIn | None = None,
    public_url: str = DEFAULT_PUBLIC_URL,
    sign_in_limits: Limits | None = None,
    ready_max_projector_lag_s: float = DEFAULT_MAX_PROJECTOR_LAG_S,
    sign_on: SignOnSettings | None = None,
) -> FastAPI:
    """`public_url`: where people reach the service (Settings.public_base), the base of
    every absolute link the pages hand out. `ready_max_projector_lag_s`: /readyz answers
    503 while the read models are further behind (Settings.ready_max_projector_lag_s).
    `sign_on`: the institution's identity provider the pages sign people on with (None:
    the personal-token form alone)."""
    fastapi = FastAPI(
        title="collab-lifecycle",
        description="Lifecycle of CNRS international collaboration instruments",
        version="0.1.0",
        # FastAPI's own pages load their scripts from a CDN, inline: ours are mounted below
        docs_url=None,
        redoc_url=None,
        # Starlette's slash redirects are absolute, built on the request's Host header
        redirect_slashes=False,
        # FastAPI's own request spans (recent versions, on once a tracer provider is
        # installed) record the path, calendar tokens included: ours (collab.tracing) don't
        **tracing.FASTAPI_NATIVE_TRACING_OFF,
    )
    add_api(fastapi, app)
    add_health(fastapi, ready_max_projector_lag_s)
    config = WebConfig(
        sign_in or TokenSignIn(app.identities),
        session_secret,
        cookie_secure,
        public_url=public_url.rstrip("/"),
        throttle=SignInThrottle(sign_in_limits),
        sign_on=(SignOn(sign_on, app.identities, public_url, session_secret) if sign_on else None),
    )
    mount_pages(fastapi, app, config)
    mount_api_docs(fastapi)

    @fastapi.get("/", include_in_schema=False)
    async def root() -> RedirectResponse:
        return RedirectResponse("/ui/portfolio", status_code=303)

    # HSTS only where the cookie is HTTPS-only: a plain-HTTP rig would lock itself out
    fastapi.add_middleware(SecurityHeaders, https_only=cookie_secure)
    if tracing.active():
        # outermost: a span for each request, the trace the update and the append continue
        fastapi.add_middleware(tracing.RequestSpans)
    return fastapi
