"""Every answer, the API's as well as the pages', carries the security headers; HSTS only
where the session cookie is HTTPS-only (a plain-HTTP rig would otherwise lock itself out).
The API's docs page is served whole by the app: nothing from a CDN."""

from __future__ import annotations

import re
import secrets

import httpx

from application.service import assemble
from collab.http import http_app

POLICY = (
    "default-src 'self'; frame-ancestors 'none'; script-src 'self'; style-src 'self'; "
    "img-src 'self' data:; object-src 'none'; base-uri 'none'; form-action 'self'"
)


def assert_guarded(r: httpx.Response, hsts: bool = True) -> None:
    assert r.headers["content-security-policy"] == POLICY, r.url
    assert r.headers["x-content-type-options"] == "nosniff", r.url
    assert r.headers["referrer-policy"] == "same-origin", r.url
    assert r.headers["x-frame-options"] == "DENY", r.url
    assert ("strict-transport-security" in r.headers) is hsts, r.url


async def test_every_kind_of_answer_carries_the_security_headers(api):
    answers = [
        await api.get("auditor", "/me"),
        await api.get("auditor", "/projects", country="nowhere"),  # 422
        await api.http.get("/projects"),  # 401, no token
        await api.http.get(f"/calendar/{api.calendars['auditor']}.ics"),
        await api.http.get("/calendar/nope.ics"),  # 404
        await api.http.get("/openapi.json"),
        await api.http.get("/docs"),
        await api.http.get("/"),  # a redirect
        await api.http.get("/ui/signin"),
        await api.http.get("/ui/portfolio"),  # signed out: a redirect
    ]
    for r in answers:
        assert_guarded(r)
    assert answers[0].status_code == 200 and answers[1].status_code == 422
    assert answers[2].status_code == 401 and answers[4].status_code == 404
    hsts = answers[0].headers["strict-transport-security"]
    assert int(re.fullmatch(r"max-age=(\d+)", hsts).group(1)) >= 180 * 86400


async def test_no_hsts_where_cookies_go_over_plain_http():
    app = http_app(assemble(None, None), secrets.token_bytes(8), cookie_secure=False)  # type: ignore[arg-type]
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://rig.test") as http:
        for path in ("/docs", "/ui/signin", "/openapi.json"):
            assert_guarded(await http.get(path), hsts=False)


async def test_the_docs_page_loads_everything_from_the_app(api):
    docs = await api.http.get("/docs")
    assert docs.status_code == 200
    assert "<script>" not in docs.text and "style=" not in docs.text  # nothing inline
    sources = re.findall(r'(?:src|href)="([^"]+)"', docs.text)
    assert sources and all(s.startswith("/ui/static/") for s in sources), sources
    for source in sources:
        asset = await api.http.get(source)
        assert asset.status_code == 200, source
        assert asset.headers["content-type"].split(";")[0] in ("text/css", "text/javascript")
    assert (await api.http.get("/redoc")).status_code == 404  # FastAPI's, from a CDN: gone
    openapi = (await api.http.get("/openapi.json")).json()
    assert "/docs" not in openapi["paths"]
