"""A bound on request bodies, for the API and the pages alike (an ASGI middleware on the one
app). Nothing a person sends is anywhere near it; without it, 10 MB of JSON is parsed,
validated and its errors built before anyone says no.

A Content-Length above the bound is refused before a byte is read; a body sent without one
(chunked) is counted as it arrives and refused as soon as it passes the bound, so it is
never held whole. Either way the answer is 413 with the refusal's shape."""

from __future__ import annotations

import json
from typing import Any

from fastapi import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from application.imports import MAX_FILE_BYTES

# JSON bodies: a step's input is at most a few tens of KB (an IRN's application)
JSON_LIMIT = 64 * 1024
# a page's form: percent-encoding triples every byte of non-Latin text
FORM_LIMIT = 256 * 1024
_FORMS = (b"application/x-www-form-urlencoded", b"multipart/form-data")


# the officers' import page takes a whole file (application.imports.MAX_FILE_BYTES), and its
# confirmation carries it back encoded: the page itself refuses a file over the bound, in words
UPLOAD_LIMIT = MAX_FILE_BYTES * 3 // 2 + 256 * 1024
_UPLOADS = ("/ui/import",)


def _limit(scope: Scope) -> int:
    headers = dict(scope.get("headers") or [])
    kind = headers.get(b"content-type", b"").lower()
    if not kind.startswith(_FORMS):
        return JSON_LIMIT
    return UPLOAD_LIMIT if str(scope.get("path", "")).startswith(_UPLOADS) else FORM_LIMIT


def _detail(limit: int) -> dict[str, Any]:
    return {
        "message": f"the request body is larger than {limit // 1024} KiB ({limit:,} bytes): "
        "send less",
        "rule": "body.size",
        "field": None,
    }


class BodyTooLarge(HTTPException):
    """Raised from `receive` when the count passes the bound. An HTTPException, so the
    endpoint reading the body lets it through (FastAPI turns other errors from reading a
    body into a 400) and the app answers it as any refusal."""

    def __init__(self, limit: int) -> None:
        super().__init__(413, _detail(limit))


class BodyLimit:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = _limit(scope)
        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            await _refuse(send, limit)
            return
        received = 0
        started = False

        async def counting_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise BodyTooLarge(limit)
            return message

        async def watching_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counting_receive, watching_send)
        except BodyTooLarge:
            # read outside an endpoint (a middleware): answer here, if nothing was yet
            if started:
                raise
            await _refuse(send, limit)


async def _refuse(send: Send, limit: int) -> None:
    body = json.dumps({"detail": _detail(limit)}).encode()
    await send(
        {
            "type": "http.response.start",
            "status": 413,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
