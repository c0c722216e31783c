"""A plain HTTP client of the served pages, for what a browser will not send (another Host
header, a flood of sign-ins). The session cookie is Secure: httpx keeps it off plain
HTTP, so it is carried by hand."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx

from web.identity import SESSION_COOKIE


def session_cookie(response: httpx.Response) -> str | None:
    for header in response.headers.get_list("set-cookie"):
        found = re.match(rf"{SESSION_COOKIE}=([^;]*)", header)
        if found:
            return found.group(1)
    return None


async def sign_in(http: httpx.AsyncClient, token: str, **headers: str) -> httpx.Response:
    return await http.post(
        "/ui/signin", data={"token": token, "next": "/ui/portfolio"}, headers=headers
    )


@asynccontextmanager
async def signed_in(url: str, token: str) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=url) as http:
        r = await sign_in(http, token)
        assert r.status_code == 303, r.text
        http.headers["Cookie"] = f"{SESSION_COOKIE}={session_cookie(r)}"
        yield http


def csrf_of(page: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', page)
    assert found, "no form with a CSRF token on this page"
    return found.group(1)
