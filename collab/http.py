"""The HTTP side of the service: the API and the pages, two entry points over one
application, served by one FastAPI app."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.responses import RedirectResponse

from api.app import add_api
from application.service import Application
from web.identity import SignIn, TokenSignIn
from web.pages import WebConfig, mount_pages


def http_app(
    app: Application,
    session_secret: bytes,
    cookie_secure: bool = True,
    sign_in: SignIn | None = None,
) -> FastAPI:
    fastapi = FastAPI(
        title="collab-lifecycle",
        description="Lifecycle of CNRS international collaboration instruments",
        version="0.1.0",
    )
    add_api(fastapi, app)
    config = WebConfig(sign_in or TokenSignIn(app.identities), session_secret, cookie_secure)
    mount_pages(fastapi, app, config)

    @fastapi.get("/", include_in_schema=False)
    async def root() -> RedirectResponse:
        return RedirectResponse("/ui/portfolio", status_code=303)

    return fastapi
