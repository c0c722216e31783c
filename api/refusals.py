"""How a refusal reaches HTTP: the application's kind of no as the status a client can act
on, with the rule's own words, its id and the field it is about; for a malformed request,
each problem's place and words too (`errors`), never the value given back.

The same shape is what the OpenAPI spec declares for every refusal (`RefusalBody`), in
place of FastAPI's own HTTPValidationError, which the API never answers."""

from __future__ import annotations

from typing import Any

from fastapi import HTTPException, Request
from fastapi.exception_handlers import http_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, ConfigDict, Field

from application.language import in_language, pick
from application.refusals import HTTP_STATUS, RETRY_AFTER_S, Refusal, out_of_reach


class Problem(BaseModel):
    """One problem of a malformed request: where, in words, and of what kind."""

    model_config = ConfigDict(extra="forbid")

    loc: list[str | int] = Field(description="the path to the field: ['labs', 1, 'country']")
    msg: str
    type: str = Field(description="pydantic's error type: missing, string_pattern_mismatch...")


class RefusalDetail(BaseModel):
    model_config = ConfigDict(extra="forbid")

    message: str = Field(description="the rule's own words")
    rule: str = Field(description="the rule's id: input, role, project.unknown, concurrency...")
    field: str | None = Field(description="the input field it is about, if one")
    errors: list[Problem] = Field(
        default_factory=list, description="for a malformed request only: each problem"
    )


class RefusalBody(BaseModel):
    """Every refusal: nothing was recorded."""

    model_config = ConfigDict(extra="forbid")

    detail: RefusalDetail


_MEANING = {
    401: "no token, or an unknown or revoked one",
    403: "this person's role may not take this step",
    404: "no such project, or not one this person may see (an id that could name none included)",
    409: "not possible in the project's phase or life, or a concurrent change",
    413: "the request body is over its bound (64 KiB of JSON)",
    422: "a malformed request (`errors` names each problem) or a rule of the instruments "
    "refuses it (`rule`, `field`)",
    503: "the workflow service or the database is out of reach",
}


def responses(*codes: int) -> dict[int | str, dict[str, Any]]:
    """The refusals an operation answers, as FastAPI's `responses`: each in RefusalBody's
    shape (declaring 422 also keeps FastAPI from declaring its HTTPValidationError). Every
    operation reads the database, so may answer 503 when it is out of reach."""
    return {
        code: {"model": RefusalBody, "description": _MEANING[code]}
        for code in sorted({*codes, 503})
    }


def refusal_body(
    message: str, rule: str, field: str | None = None, errors: list[Any] | None = None
) -> dict[str, Any]:
    detail: dict[str, Any] = {"message": message, "rule": rule, "field": field}
    if errors:
        detail["errors"] = errors
    return {"detail": detail}


def http_error(refusal: Refusal) -> HTTPException:
    # every refusal names a rule: the kind of no when the application gives none
    body = refusal_body(
        refusal.message, refusal.rule or refusal.kind.value, refusal.field, refusal.errors
    )
    return HTTPException(HTTP_STATUS[refusal.kind], body["detail"])


async def database_away(request: Request, exc: Exception) -> Response:
    """The database out of reach (StoreUnreachable, from any read or step): a 503 refusal in
    the asker's language with when to try again, where it was a 500 with no words."""
    answer = await in_askers_language(request, http_error(out_of_reach()))
    answer.headers["Retry-After"] = str(RETRY_AFTER_S)
    return answer


async def in_askers_language(request: Request, exc: Exception) -> Response:
    """A refusal's message in the language the request asks for (Accept-Language: fr);
    English otherwise. The rule and the field stay as they are: programs read those."""
    assert isinstance(exc, HTTPException)
    detail = exc.detail
    if isinstance(detail, dict) and "message" in detail:
        lang = pick(request.headers.get("accept-language"))
        detail = {**detail, "message": in_language(detail["message"], lang)}
    return await http_exception_handler(
        request, HTTPException(exc.status_code, detail, exc.headers)
    )


def _malformed(errors: list[dict[str, Any]]) -> JSONResponse:
    refused = http_error(Refusal.of_errors(errors))
    return JSONResponse({"detail": refused.detail}, status_code=refused.status_code)


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
    return _malformed(errors)


def unreadable_body() -> JSONResponse:
    """A JSON body that cannot even be decoded (not UTF-8): FastAPI says 400 with words of
    its own; it is a malformed request like any other."""
    return _malformed(
        [{"loc": ("body",), "msg": "the body is not JSON text in UTF-8", "type": "json_invalid"}]
    )
