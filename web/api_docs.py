"""The API's interactive documentation (Swagger UI) at /docs, its scripts and styles served
by the app itself: FastAPI's own page fetches them from a public CDN (blank on an intranet)
and starts them with an inline script, which the Content-Security-Policy forbids."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from web.pages import HERE, STATIC_PREFIX


def mount_api_docs(app: FastAPI) -> None:
    templates = Jinja2Templates(directory=HERE / "templates")

    @app.get("/docs", include_in_schema=False, response_class=HTMLResponse)
    async def api_docs(request: Request) -> HTMLResponse:
        return templates.TemplateResponse(
            request,
            "api_docs.html",
            {"title": app.title, "static": STATIC_PREFIX, "openapi_url": app.openapi_url},
        )
