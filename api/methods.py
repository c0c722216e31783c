"""Which methods an API address answers, said whole: `OPTIONS` answers 204 with `Allow`
listing every method of the path, and a method the path does not have is a 405 with the
same `Allow` (Starlette's own 405 names only the methods of the first route it finds for
the path: POST for /projects, whose GET is another route).

Only the API's routes (those in the OpenAPI spec); the pages keep Starlette's answers."""

from __future__ import annotations

from fastapi import FastAPI, Request, Response
from fastapi.exception_handlers import http_exception_handler
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute
from starlette.exceptions import HTTPException as StarletteHTTPException

from api.refusals import refusal_body, unreadable_body

# the order `Allow` lists them in
_ORDER = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")


def _api_routes(app: FastAPI) -> list[APIRoute]:
    return [r for r in app.router.routes if isinstance(r, APIRoute) and r.include_in_schema]


def _allow(methods: set[str]) -> str:
    return ", ".join(sorted(methods | {"OPTIONS"}, key=_ORDER.index))


def allowed_methods(app: FastAPI, path: str) -> set[str] | None:
    """Every method of the API path `path` (a request's), or None if it is not an API path."""
    found = [r for r in _api_routes(app) if r.path_regex.match(path)]
    if not found:
        return None
    return {m for r in found for m in r.methods or ()}


def add_options(app: FastAPI) -> None:
    """`OPTIONS` on every API path, then the 405 and the unreadable body in the refusal's
    shape. Call it once every API route is added."""
    templates = dict.fromkeys(r.path for r in _api_routes(app))
    for template in templates:
        methods = {m for r in _api_routes(app) if r.path == template for m in r.methods or ()}
        app.add_api_route(
            template,
            _options_endpoint(_allow(methods)),
            methods=["OPTIONS"],
            include_in_schema=False,
            name=f"options {template}",
        )
    app.add_exception_handler(StarletteHTTPException, _http_exception)


def _options_endpoint(allow: str):  # type: ignore[no-untyped-def]
    async def options() -> Response:
        return Response(status_code=204, headers={"Allow": allow})

    return options


async def _http_exception(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    methods = allowed_methods(request.app, request.url.path)
    if methods is not None and exc.status_code == 405:
        allow = _allow(methods)
        body = refusal_body(
            f"{request.method} is not a method of this address; it answers {allow}",
            "http.method",
        )
        return JSONResponse(body, status_code=405, headers={"Allow": allow})
    if methods is not None and exc.status_code == 400:
        # FastAPI's only 400: a JSON body it could not decode
        return unreadable_body()
    return await http_exception_handler(request, exc)
