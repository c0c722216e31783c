"""Sign-on with the institution's identity provider, against a real one: panva's
oidc-provider (tests/web/oidc) on loopback, the whole login driven in Chromium. The code
flow with PKCE: a good login lands signed in as the directory's person (by e-mail, or by the
subject an operator stored); a wrong state, a replayed code and a person the directory does
not know are refused with a page saying why; signing out ends the session here and at the
provider."""

from __future__ import annotations

import contextlib
import secrets
from collections.abc import AsyncIterator, Iterator
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
import pytest

from application.service import assemble
from collab.http import http_app
from identity.people import PeopleDirectory
from tests.web.axe import axe_clean
from tests.web.conftest import a_page, free_port, serving, shot
from tests.web.oidc import Provider, running_provider
from web.oidc import SignOnSettings

SITE_PORT = free_port()
SITE = f"http://localhost:{SITE_PORT}"  # localhost: Chromium keeps Secure cookies on http
USERS = {
    # the directory's Paul Martin, by his e-mail (in another case: the provider's own)
    "paul": {"email": "Paul.Martin@cnrs.example.fr", "name": "Paul Martin"},
    # known to the institution, not to the service
    "stranger": {"email": "stranger@univ.example.fr", "name": "Sam Stranger"},
    # the directory's Inès Leroy, by the subject an operator stored (her e-mail differs)
    "i-leroy-7731": {"email": "inès.l@univ.example.fr", "name": "Inès Leroy"},
}


@pytest.fixture(scope="module")
def provider() -> Iterator[Provider]:
    client = {
        "client_id": "collab-pages",
        "client_secret": secrets.token_urlsafe(24),
        "redirect_uris": [f"{SITE}/ui/signin/callback"],
        "post_logout_redirect_uris": [f"{SITE}/ui/signin"],
    }
    with running_provider(free_port(), client, USERS) as running:
        yield running


@contextlib.asynccontextmanager
async def signing_on(
    api, event_store, service, provider: Provider, **settings
) -> AsyncIterator[str]:
    """The site on SITE, signing people on with the provider."""
    sign_on = SignOnSettings(
        discovery_url=provider.discovery_url,
        client_id=provider.client_id,
        client_secret=provider.client_secret,
        **settings,
    )
    app = http_app(
        assemble(event_store, service),
        secrets.token_bytes(32),
        cookie_secure=True,
        public_url=SITE,
        sign_on=sign_on,
    )
    async with serving(app, SITE_PORT):
        yield SITE


@pytest.fixture
async def site(api, event_store, service, provider) -> AsyncIterator[str]:
    async with signing_on(api, event_store, service, provider) as url:
        yield url


@contextlib.asynccontextmanager
async def browsing(browser, lang: str = "en"):
    context, page = await a_page(browser, lang)
    # the provider's development pages ask Google for a font: not from here
    await context.route("https://fonts.googleapis.com/**", lambda route: route.abort())
    try:
        yield page
    finally:
        await context.close()


async def at_provider(page, login: str) -> None:
    """The provider's login form (its development interactions: any password)."""
    await page.locator("input[name=login]").fill(login)
    await page.locator("input[name=password]").fill("any password")
    await page.locator("button[type=submit]").click()


async def sign_on(page, login: str, next_page: str = "/ui/portfolio") -> None:
    await page.goto(f"{SITE}/ui/signin?" + urlencode({"next": next_page}))
    await page.locator("#sign-on").click()
    await page.wait_for_url(lambda url: url.startswith("http://127.0.0.1:"))
    await at_provider(page, login)


async def signed_in_as(page) -> str | None:
    await page.goto(f"{SITE}/ui/portfolio")
    me = page.locator(".me strong")
    return await me.inner_text() if await me.count() else None


async def started(page) -> dict[str, str]:
    """A flow started in the page's browser (its cookie kept there), not yet followed:
    the parameters it sends to the provider's authorization endpoint."""
    answer = await page.request.get(f"{SITE}/ui/signin/start", max_redirects=0)
    assert answer.status == 303
    location = answer.headers["location"]
    return {"url": location} | {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}


async def test_a_good_login_lands_signed_in_as_the_directorys_person(site, browser):
    async with browsing(browser) as page:
        await sign_on(page, "paul", "/ui/deadlines")
        await page.wait_for_url(f"{SITE}/ui/deadlines")  # where the sign-in was asked from
        assert await page.locator(".me strong").inner_text() == "Paul Martin"
        assert "derci_officer" in await page.locator(".me").inner_text()
        # the token form is still offered beside, by default
        await page.goto(f"{SITE}/ui/signin")
        assert await page.locator("input[name=token]").count() == 1
        await shot(page, "sign-on-signin-page")
        await axe_clean(page)


async def test_a_wrong_state_is_refused(site, browser):
    async with browsing(browser) as page:
        flow = await started(page)
        assert flow["code_challenge_method"] == "S256" and flow["code_challenge"] and flow["nonce"]
        # the provider brings back whatever state it was given: not this flow's
        forged = flow["url"].replace(f"state={flow['state']}", "state=not-this-flow")
        await page.goto(forged)
        await at_provider(page, "paul")
        await page.wait_for_url(f"{SITE}/ui/signin/callback*")
        assert "state=not-this-flow" in page.url
        assert "does not belong to the sign-in this browser started" in (
            await page.locator("#refusal").inner_text()
        )
        assert await signed_in_as(page) is None


async def test_a_replayed_code_is_refused(site, browser):
    async with browsing(browser) as page:
        delivered: list[str] = []
        page.on(
            "request",
            lambda r: delivered.append(r.url) if "/ui/signin/callback" in r.url else None,
        )
        await sign_on(page, "paul")
        await page.wait_for_url(f"{SITE}/ui/portfolio")
        used = delivered[0]
        # the same answer again: its flow is over in this browser
        again = await page.goto(used)
        assert again is not None and again.status == 400
        assert "was not started in this browser" in await page.locator("#refusal").inner_text()
        # the used code with a fresh flow's state: the provider itself refuses it
        fresh = await started(page)
        old = parse_qs(urlsplit(used).query)
        replayed = await page.goto(
            f"{SITE}/ui/signin/callback?"
            + urlencode({"code": old["code"][0], "state": fresh["state"], "iss": old["iss"][0]})
        )
        assert replayed is not None and replayed.status == 400
        assert "refused this sign-in's code" in await page.locator("#refusal").inner_text()


async def test_an_unknown_person_gets_the_clear_refusal_page(site, browser, event_store):
    async with browsing(browser, "fr") as page:
        await sign_on(page, "stranger")
        await page.wait_for_url(f"{SITE}/ui/signin/callback*")
        assert await page.locator("h1").inner_text() == "Connexion refusée"
        said = await page.locator("#refusal").inner_text()
        assert "stranger@univ.example.fr" in said
        assert "personne dans l'annuaire de ce service ne vous correspond" in said
        assert await page.locator("html").get_attribute("lang") == "fr"
        await shot(page, "sign-on-unknown-person-fr")
        await axe_clean(page)
        assert await signed_in_as(page) is None  # nobody created, nobody signed in
    people = await PeopleDirectory(event_store).everyone()
    assert "stranger@univ.example.fr" not in {p.email for p in people}


async def test_signing_out_ends_the_session_here_and_at_the_provider(site, browser):
    async with browsing(browser) as page:
        await sign_on(page, "paul")
        await page.wait_for_url(f"{SITE}/ui/portfolio")
        cookies = await page.context.cookies(SITE)
        await page.locator("form[action='/ui/signout'] button").click()
        # the provider asks to confirm its own sign-out, then sends the browser back
        await page.wait_for_url(lambda url: url.startswith("http://127.0.0.1:"))
        await page.locator("button[name=logout][value=yes]").click()
        await page.wait_for_url(f"{SITE}/ui/signin*")
        assert await signed_in_as(page) is None
        # the old session cookie signs in no more
        await page.context.add_cookies(cookies)
        assert await signed_in_as(page) is None
        # and the provider asks for the login again: its session ended too
        await page.goto(f"{SITE}/ui/signin")
        await page.locator("#sign-on").click()
        await page.wait_for_url(lambda url: url.startswith("http://127.0.0.1:"))
        await page.locator("input[name=login]").wait_for()


async def test_a_stored_subject_signs_in_its_person_and_the_token_form_can_go(
    api, event_store, service, provider, browser
):
    async with httpx.AsyncClient() as http:
        issuer = (await http.get(provider.discovery_url)).json()["issuer"]
    await PeopleDirectory(event_store).link_subject(
        "audit-leroy", issuer, "i-leroy-7731", operator="test"
    )
    async with (
        signing_on(api, event_store, service, provider, match="subject", token_form=False),
        browsing(browser) as page,
    ):
        await page.goto(f"{SITE}/ui/signin")
        assert await page.locator("input[name=token]").count() == 0
        await sign_on(page, "i-leroy-7731")
        await page.wait_for_url(f"{SITE}/ui/portfolio")
        assert await page.locator(".me strong").inner_text() == "Inès Leroy"
        # by subject, an e-mail the directory knows signs nobody in
        async with browsing(browser) as other:
            await sign_on(other, "paul")
            await other.wait_for_url(f"{SITE}/ui/signin/callback*")
            assert "Paul.Martin@cnrs.example.fr" in await other.locator("#refusal").inner_text()
        # nor does a personal token, with the form gone
        async with httpx.AsyncClient(base_url=SITE) as http:
            posted = await http.post(
                "/ui/signin", data={"token": api.tokens["auditor"]}, headers={"Origin": SITE}
            )
        assert posted.status_code == 404
