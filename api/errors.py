"""How refusals reach HTTP: the domain's own words, with the status a client can act on."""

from __future__ import annotations

from fastapi import HTTPException
from temporalio.client import WorkflowUpdateFailedError
from temporalio.exceptions import ApplicationError
from temporalio.service import RPCError, RPCStatusCode

# the error types ProjectWorkflow gives domain refusals (workflows.project._refusal)
_STATUS = {"Domain.validation": 422, "Domain.transition": 409, "Domain.permission": 403}


def refusal(err: Exception, project_id: str | None) -> HTTPException:
    if isinstance(err, WorkflowUpdateFailedError):
        cause = err.cause
        if isinstance(cause, ApplicationError):
            rule = cause.details[0] if cause.details else None
            status = _STATUS.get(cause.type or "", 409)
            return HTTPException(status, {"message": cause.message, "rule": rule})
        return HTTPException(409, {"message": str(cause or err), "rule": None})
    if isinstance(err, RPCError):
        if err.status is RPCStatusCode.NOT_FOUND:
            return HTTPException(
                404, {"message": f"project {project_id} not found", "rule": "project.unknown"}
            )
        if err.status is RPCStatusCode.FAILED_PRECONDITION:
            return HTTPException(
                409, {"message": f"project {project_id} has ended", "rule": "project.ended"}
            )
        return HTTPException(503, {"message": f"workflow service: {err.message}", "rule": None})
    raise err
