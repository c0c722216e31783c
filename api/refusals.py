"""How a refusal reaches HTTP: the application's kind of no as the status a client can act
on, with the rule's own words, its id and the field it is about; for a malformed request,
each problem's place and words too (`errors`), never the value given back."""

from __future__ import annotations

from fastapi import HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from application.refusals import HTTP_STATUS, Refusal


def http_error(refusal: Refusal) -> HTTPException:
    detail: dict[str, object] = {
        "message": refusal.message,
        "rule": refusal.rule,
        "field": refusal.field,
    }
    if refusal.errors:
        detail["errors"] = refusal.errors
    return HTTPException(HTTP_STATUS[refusal.kind], detail)


async def malformed_request(request: Request, exc: Exception) -> JSONResponse:
    """FastAPI's 422 for a body, a path or a query its types refuse, in the refusal's shape.
    Its own answer echoes the input, which fails to render when JSON cannot carry it back
    (1e309, NaN) and returns 10 MB for 10 MB."""
    assert isinstance(exc, RequestValidationError)
    # where the problem is, without FastAPI's "body", "path" or "query" in front (but a body
    # that is no JSON at all is the body's problem, not that of a character position)
    errors = [
        {**e, "loc": ("body",) if e["type"] == "json_invalid" else tuple(e["loc"])[1:] or e["loc"]}
        for e in exc.errors()
    ]
    refused = http_error(Refusal.of_errors(errors))
    return JSONResponse({"detail": refused.detail}, status_code=refused.status_code)
