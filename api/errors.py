"""How refusals reach HTTP: the domain's own words, with the status a client can act on."""

from __future__ import annotations

from fastapi import HTTPException

from collab.steps import Refused


def http_error(err: Refused) -> HTTPException:
    if err.errors:  # malformed input: pydantic's own list, as for a malformed body
        return HTTPException(err.status, err.errors)
    return HTTPException(err.status, {"message": err.message, "rule": err.rule})


def not_found(project_id: str) -> HTTPException:
    # the same answer whether it does not exist or this person may not see it
    return HTTPException(404, {"message": f"project {project_id} not found", "rule": None})
