"""For operators: /healthz (the process is up), /readyz (it can serve: the database and,
where this process has one, the Temporal client answer, and the read models are not too
far behind) and /metrics (Prometheus' text format). None of them names a person or a
project, and none is in the OpenAPI spec: they are the operators', not the API's."""

from __future__ import annotations

from fastapi import FastAPI, Request, Response
from fastapi.responses import JSONResponse, PlainTextResponse

from application.operations import exposition
from application.service import Application

# the projector's lag (age of the oldest event the read models do not reflect) past which
# the process is not ready; Settings.ready_max_projector_lag_s
DEFAULT_MAX_PROJECTOR_LAG_S = 60.0
# a scrape reads the database at most once an interval, however many scrape
METRICS_MIN_INTERVAL_S = 1.0


def _application(request: Request) -> Application:
    app: Application = request.app.state.application
    return app


def add_health(
    fastapi: FastAPI,
    max_projector_lag_s: float = DEFAULT_MAX_PROJECTOR_LAG_S,
    metrics_min_interval_s: float = METRICS_MIN_INTERVAL_S,
) -> None:
    """The three routes on `fastapi`, over the application in `fastapi.state` (add_api)."""

    @fastapi.get("/healthz", include_in_schema=False)
    async def healthz() -> PlainTextResponse:
        return PlainTextResponse("ok\n", headers={"Cache-Control": "no-store"})

    @fastapi.get("/readyz", include_in_schema=False)
    async def readyz(request: Request) -> JSONResponse:
        reasons = await _application(request).operations.not_ready(max_projector_lag_s)
        body = {"ready": not reasons, "not_ready": reasons}
        return JSONResponse(
            body, status_code=503 if reasons else 200, headers={"Cache-Control": "no-store"}
        )

    @fastapi.get("/metrics", include_in_schema=False)
    async def metrics(request: Request) -> Response:
        await _application(request).operations.refresh_metrics(metrics_min_interval_s)
        text, content_type = exposition()
        return Response(text, media_type=content_type, headers={"Cache-Control": "no-store"})
