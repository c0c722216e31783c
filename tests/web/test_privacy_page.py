"""The data-protection officer's page (/ui/privacy) in Chromium against the real app: what
is kept about a coordinator, the JSON to hand over, and their erasure confirmed, after
which the project's page no longer names them; others are refused the page. axe-core
finds nothing."""

from __future__ import annotations

import json
from pathlib import Path

from domain.actors import Role
from identity.people import PeopleDirectory, Person
from tests.api.test_api import submitted
from tests.web.axe import axe_violations
from tests.web.conftest import a_page, shot
from tests.web.test_every_page_in_french import no_missing_label

DPO = Person(
    person_id="dpo-bernard", name="Louise Bernard", email="dpo@cnrs.example.fr",
    lab="DPD CNRS", country="FR", role=Role.DATA_PROTECTION_OFFICER,
)  # fmt: skip


async def test_the_officer_exports_and_erases_a_coordinator_from_the_page(
    site, browser, event_store
):
    issued = await PeopleDirectory(event_store).add(DPO, operator="test")
    site.api.tokens["dpo"] = issued.api
    pid = await submitted(site.api)
    await site.api.caught_up()
    context, page = await a_page(browser, "fr")
    try:
        await site.sign_in(page, "dpo", "fr")
        await page.locator("nav[aria-label=main] a[href='/ui/privacy']").click()
        await page.locator("#p-person").fill("pi-durand")
        await page.locator("#person-form button[type=submit]").click()
        await page.wait_for_url("**/ui/privacy/pi-durand")
        assert await page.locator("#kept-name").inner_text() == "Claire Durand"
        assert await page.locator("#kept-projects").inner_text() == pid
        types = await page.locator("#kept-events tbody tr").evaluate_all(
            "rows => rows.map(r => r.dataset.type)"
        )
        assert "ApplicationSubmitted" in types
        async with page.expect_download() as download:
            await page.locator("#export-link").click()
        saved = Path(await (await download.value).path())
        exported = json.loads(saved.read_text(encoding="utf-8"))
        assert exported["person_id"] == "pi-durand" and exported["projects"] == [pid]
        await no_missing_label(page, "privacy")
        assert await axe_violations(page) == []
        await shot(page, "privacy-fr")

        await page.locator("#e-reason").fill("demande du 2 décembre")
        await page.locator("#e-basis").fill("RGPD art. 17(1)(a)")
        await page.locator("#erase-form button[type=submit]").click()  # not confirmed
        assert await page.locator("#e-confirm").get_attribute("aria-invalid") == "true"
        assert await page.locator("#kept-name").inner_text() == "Claire Durand"
        await page.locator("#e-confirm").check()
        await page.locator("#erase-form button[type=submit]").click()
        assert "pi-durand est effacée" in await page.locator("#erased-now").inner_text()
        assert await page.locator("#kept-name").inner_text() == "(erased)"
        assert await page.locator("#erase-form").count() == 0
        await page.goto(f"{site.url}/ui/projects/{pid}")
        assert "Claire Durand" not in await page.locator("main").inner_text()
        await context.close()

        context, page = await a_page(browser, "en")
        await site.sign_in(page, "derci_officer")
        assert await page.locator("nav[aria-label=main] a[href='/ui/privacy']").count() == 0
        denied = await page.goto(f"{site.url}/ui/privacy")
        assert denied is not None and denied.status == 403
        other = await page.goto(f"{site.url}/ui/privacy/pi-durand")
        assert other is not None and other.status == 403
    finally:
        await context.close()
