"""The access log of the service as `collab up` runs it keeps no calendar token: the
token is the feed's only credential, and logs are read by more people than calendars."""

from __future__ import annotations

import asyncio
import logging

import httpx

from application.service import assemble
from collab.runtime import api_server
from collab.settings import Settings
from tests.web.conftest import free_port


async def test_a_calendar_feed_request_is_logged_without_its_token(
    api, event_store, service, caplog, tmp_path
):
    port = free_port()
    settings = Settings(data_dir=tmp_path, api_port=port, session_secret="s" * 32)
    server = api_server(settings, assemble(event_store, service))
    caplog.set_level(logging.INFO, logger="uvicorn.access")
    task = asyncio.create_task(server.serve())
    while not server.started:
        await asyncio.sleep(0.02)
    try:
        token = api.calendars["coordinator"]
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as http:
            feed = await http.get(f"/calendar/{token}.ics?from=app")
            unknown = await http.get("/calendar/not-a-token.ics")
    finally:
        server.should_exit = True
        await task
    assert feed.status_code == 200 and unknown.status_code == 404
    lines = [r.getMessage() for r in caplog.records if r.name == "uvicorn.access"]
    calendar_lines = [line for line in lines if "/calendar/" in line]
    assert len(calendar_lines) == 2, lines
    assert all('"GET /calendar/[redacted].ics' in line for line in calendar_lines), lines
    assert token not in caplog.text and "not-a-token" not in caplog.text
    assert " 200" in calendar_lines[0] and " 404" in calendar_lines[1]
