"""Every page works in Chromium with the Content-Security-Policy enforced (nothing it needs
is blocked), the API's docs come from the app itself, and no other site can frame a page."""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.responses import HTMLResponse
from starlette.routing import Route

from tests.api.test_api import submitted
from tests.web.conftest import free_port, serving, shot
from web.security_headers import CONTENT_SECURITY_POLICY

REPORTER = """
document.addEventListener("securitypolicyviolation", (e) =>
  window.cspViolated(`${e.violatedDirective} ${e.blockedURI} ${e.sourceFile}:${e.lineNumber}`));
"""


async def watched(browser, violations: list[str], requests: list[str]):
    context = await browser.new_context(locale="en-GB")
    await context.expose_function("cspViolated", lambda text: violations.append(text))
    await context.add_init_script(REPORTER)
    page = await context.new_page()
    page.on(
        "console",
        lambda m: violations.append(m.text) if "Content Security Policy" in m.text else None,
    )
    page.on("request", lambda r: requests.append(r.url))
    return context, page


async def test_every_page_runs_under_the_policy_with_nothing_blocked(site, browser):
    pid = await submitted(site.api)
    await site.api.caught_up()
    violations: list[str] = []
    requests: list[str] = []
    context, page = await watched(browser, violations, requests)
    try:

        async def visit(path: str, status: int = 200):
            response = await page.goto(f"{site.url}{path}")
            assert response is not None and response.status == status, path
            assert response.headers["content-security-policy"] == CONTENT_SECURITY_POLICY
            return response

        await visit("/ui/signin")
        await page.get_by_label("Personal token").fill("not-a-token")
        await page.get_by_role("button", name="Sign in").click()
        assert await page.locator("#token-error").count() == 1

        await site.sign_in(page, "derci_officer")
        await page.wait_for_function("() => document.body.dataset.chartsDrawn === 'true'")
        await visit(f"/ui/projects/{pid}")
        assert await page.locator("#phase").count() == 1
        await visit("/ui/deadlines?within=365")
        await page.get_by_role("button", name="Get a new calendar link").click()
        await page.get_by_role("button", name="Replace my calendar link").click()
        assert "/calendar/" in await page.get_by_label("Your calendar link").input_value()
        await visit("/ui/projects/NOPE-1", 404)
        await visit("/ui/portfolio?country=<b>", 422)
        await visit("/ui/portfolio?lang=fr")
        await page.wait_for_function("() => document.body.dataset.chartsDrawn === 'true'")

        await visit("/docs")
        title = page.locator(".swagger-ui .info .title")
        await title.wait_for(timeout=30_000)
        assert "collab-lifecycle" in await title.inner_text()
        operation = page.locator(".opblock-summary").first
        await operation.click()  # an operation's details, examples and schemas drawn
        await page.locator(".opblock-body").first.wait_for()
        await page.wait_for_timeout(300)
        await shot(page, "api-docs")
        assert violations == []
        assert all(url.startswith(site.url) for url in requests), requests

        # the reporter does hear a violation: an injected inline script runs nothing
        await page.evaluate(
            "() => { const s = document.createElement('script');"
            " s.textContent = 'window.injected = true'; document.body.append(s); }"
        )
        await page.wait_for_timeout(200)
        assert await page.evaluate("window.injected === undefined")
        assert any("script-src" in v for v in violations), violations
    finally:
        await context.close()


async def test_no_other_site_can_frame_a_project_page(site, page):
    pid = await submitted(site.api)
    await site.api.caught_up()
    await site.sign_in(page, "derci_officer")
    own = await page.goto(f"{site.url}/ui/projects/{pid}")
    assert own is not None
    assert "frame-ancestors 'none'" in own.headers["content-security-policy"]
    assert own.headers["x-frame-options"] == "DENY"

    # another site (its own server, an address of this machine: Chromium keeps public
    # sites off local ones anyway) frames the sign-in page, which no cookie keeps from
    # rendering: the browser shows nothing of it
    framing = f'<iframe src="{site.url}/ui/signin"></iframe>'
    other = Starlette(routes=[Route("/", lambda _: HTMLResponse(framing))])
    port = free_port()
    async with serving(other, port):
        await page.goto(f"http://127.0.0.1:{port}/")
        await page.wait_for_timeout(1000)
        framed = page.frames[1]
        assert await framed.locator("#token").count() == 0
        assert "Personal token" not in await framed.content()
