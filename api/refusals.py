"""How a refusal reaches HTTP: the application's kind of no as the status a client can act
on, with the rule's own words, its id and the field it is about."""

from __future__ import annotations

from fastapi import HTTPException

from application.refusals import Kind, Refusal

STATUS = {
    Kind.INPUT: 422,
    Kind.RULE: 422,
    Kind.TRANSITION: 409,
    Kind.CONFLICT: 409,
    Kind.PERMISSION: 403,
    Kind.IDENTITY: 401,
    Kind.NOT_FOUND: 404,
    Kind.UNAVAILABLE: 503,
}


def http_error(refusal: Refusal) -> HTTPException:
    if refusal.errors:  # malformed input: pydantic's own list, as for a malformed body
        return HTTPException(STATUS[refusal.kind], refusal.errors)
    return HTTPException(
        STATUS[refusal.kind],
        {"message": refusal.message, "rule": refusal.rule, "field": refusal.field},
    )
