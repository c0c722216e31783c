"""How a refusal reaches HTTP: the application's kind of no as the status a client can act
on, with the rule's own words, its id and the field it is about."""

from __future__ import annotations

from fastapi import HTTPException

from application.refusals import HTTP_STATUS, Refusal


def http_error(refusal: Refusal) -> HTTPException:
    if refusal.errors:  # malformed input: pydantic's own list, as for a malformed body
        return HTTPException(HTTP_STATUS[refusal.kind], refusal.errors)
    return HTTPException(
        HTTP_STATUS[refusal.kind],
        {"message": refusal.message, "rule": refusal.rule, "field": refusal.field},
    )
