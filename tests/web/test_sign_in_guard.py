"""Signing in replaces the browser's earlier session (a planted or left-over one names
nobody afterwards), and guessing tokens is slowed down: past a few failures, sign-in
answers 429 with Retry-After and a message in the person's language, until the window
passes; a success clears the slate."""

from __future__ import annotations

import asyncio
import time

import httpx

from tests.web.conftest import a_site
from tests.web.http_client import session_cookie, sign_in
from web.identity import SESSION_COOKIE
from web.throttle import Limits, SignInThrottle

WINDOW = 5.0  # wide enough for 200 requests on a loaded machine
LIMITS = Limits(failures=5, window_seconds=WINDOW)


async def test_signing_in_again_ends_the_earlier_session(site, page, browser):
    await site.sign_in(page, "auditor")
    before = next(c for c in await page.context.cookies() if c["name"] == SESSION_COOKIE)
    await site.sign_in(page, "coordinator")  # the same browser, someone else
    after = next(c for c in await page.context.cookies() if c["name"] == SESSION_COOKIE)
    assert after["value"] != before["value"]
    assert "Claire Durand" in await page.locator(".me").inner_text()

    # whoever kept the earlier cookie (a shared computer, a planted id) is signed out
    other = await browser.new_context()
    try:
        await other.add_cookies([before])
        kept = await other.new_page()
        await kept.goto(f"{site.url}/ui/portfolio")
        assert "/ui/signin" in kept.url
    finally:
        await other.close()


async def test_a_flood_of_wrong_tokens_is_slowed_then_let_through_after_the_window(
    api, event_store, service
):
    async with (
        a_site(api, event_store, service, sign_in_limits=LIMITS) as site,
        httpx.AsyncClient(base_url=site.url) as http,
    ):
        started = time.monotonic()
        answers = [await sign_in(http, f"guess-{n}") for n in range(200)]
        statuses = [r.status_code for r in answers]
        assert statuses[:5] == [401] * 5
        assert set(statuses[5:]) == {429}, statuses
        assert time.monotonic() - started < WINDOW  # all answered: slowed, not stalled
        slowed = answers[-1]
        assert 1 <= int(slowed.headers["retry-after"]) <= WINDOW
        assert "Too many failed sign-ins. Try again in" in slowed.text
        assert "text/html" in slowed.headers["content-type"]
        french = await sign_in(http, "guess", **{"Accept-Language": "fr-FR"})
        assert french.status_code == 429
        assert "Trop de connexions échouées. Réessayez dans" in french.text

        # the right token too, while slowed: no session is opened
        right = site.api.tokens["auditor"]
        refused = await sign_in(http, right)
        assert refused.status_code == 429 and session_cookie(refused) is None

        await asyncio.sleep(int(slowed.headers["retry-after"]) + 0.1)
        signed = await sign_in(http, right)
        assert signed.status_code == 303 and session_cookie(signed)
        # a success clears the slate: a typo afterwards is only a typo
        assert (await sign_in(http, "typo")).status_code == 401


async def test_one_token_tried_from_many_addresses_is_slowed_too(api, event_store, service):
    async with (
        a_site(api, event_store, service, sign_in_limits=LIMITS) as site,
        httpx.AsyncClient(base_url=site.url) as http,
    ):
        # a proxy on this host names each client (uvicorn trusts 127.0.0.1's X-Forwarded-For)
        def from_(n: int) -> dict[str, str]:
            return {"X-Forwarded-For": f"203.0.113.{n}"}

        tried = [(await sign_in(http, "one-guess", **from_(n))).status_code for n in range(6)]
        assert tried == [401] * 5 + [429]
        assert (await sign_in(http, "another-guess", **from_(9))).status_code == 401


def test_the_throttle_forgets_the_least_recent_clients_beyond_its_size():
    now = [0.0]
    throttle = SignInThrottle(Limits(failures=2, window_seconds=60, max_keys=100), lambda: now[0])
    for n in range(10_000):
        throttle.failed(f"10.0.{n // 256}.{n % 256}", f"guess-{n}")
    assert len(throttle) <= 100
    throttle.failed("10.9.9.9", "x")
    throttle.failed("10.9.9.9", "y")
    assert throttle.wait("10.9.9.9", "z") == 60
    now[0] = 61.0
    assert throttle.wait("10.9.9.9", "z") == 0  # never for good
