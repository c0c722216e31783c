"""Every page in French, in Chromium: a DERCI officer reading in French walks the portfolio,
a project with a rich history, the deadlines, the import, the forecast, the policy, the
sign-in page and a project not found, and no page shows a label no catalogue has (web.i18n
marks one as ⟦key⟧ in these tests, and logs it). Screenshots of the main pages at desktop
and phone sizes under test-artifacts/web/."""

from __future__ import annotations

import logging

from tests.web.axe import axe_violations
from tests.web.conftest import a_page, shot
from tests.web.test_history_page import a_late_year
from tests.web.test_portfolio_page import PHONE
from web import i18n
from web.i18n import MESSAGES, translator
from web.narration import NNBSP


def test_a_missing_label_is_marked_and_logged_and_a_default_is_not(monkeypatch, caplog):
    monkeypatch.setattr(i18n, "MARK_MISSING", True)
    t = translator("fr")
    assert t("portfolio") == MESSAGES["fr"]["portfolio"]
    with caplog.at_level(logging.WARNING, logger="web.i18n"):
        assert t("no.such.label") == "⟦no.such.label⟧"
    assert "no.such.label" in caplog.text
    assert t("no.such.label", "as given") == "as given"
    monkeypatch.setattr(i18n, "MARK_MISSING", False)
    assert t("another.missing") == "another.missing"  # people read the key, never a mark


def test_both_catalogues_have_the_same_labels():
    assert MESSAGES["en"].keys() == MESSAGES["fr"].keys()


async def no_missing_label(page, where: str) -> None:
    text = await page.locator("body").inner_text()
    title = await page.title()
    assert "⟦" not in text and "⟦" not in title, (where, text[text.find("⟦") - 40 :][:120])
    assert await page.locator("html").get_attribute("lang") == "fr", where


async def test_every_page_reads_in_french_without_a_missing_label(site, browser, ts_env):
    pid = await a_late_year(site, ts_env)  # reminders, a tranche withheld then paid
    context, page = await a_page(browser, "fr")
    try:
        await page.goto(f"{site.url}/ui/signin?lang=fr")
        await no_missing_label(page, "signin")
        help_text = await page.locator("#token-help").inner_text()
        assert "`" not in help_text and "DERCI" in help_text
        assert await axe_violations(page) == []
        await shot(page, "fr-signin")

        await site.sign_in(page, "derci_officer", "fr")
        walked = {
            "portfolio": "/ui/portfolio",
            "project": f"/ui/projects/{pid}",
            "deadlines": "/ui/deadlines?within=365",
            "import": "/ui/import",
            "forecast": "/ui/forecast",
            "policy": "/ui/policy",
            "call": "/ui/calls",
        }
        for name, path in walked.items():
            answer = await page.goto(f"{site.url}{path}")
            assert answer is not None and answer.status == 200, name
            await no_missing_label(page, name)
            assert await axe_violations(page) == [], name
            await shot(page, f"fr-{name}")
        # the project's amounts as French writes them
        await page.goto(f"{site.url}/ui/projects/{pid}")
        assert await page.locator("#released").inner_text() == f"24{NNBSP}000"

        missing = await page.goto(f"{site.url}/ui/projects/IRP-nothere")
        assert missing is not None and missing.status == 404
        await no_missing_label(page, "not found")
        nowhere = await page.goto(f"{site.url}/ui/portefeuille")
        assert nowhere is not None and nowhere.status == 404
        assert await page.locator("h1").inner_text() == "Il n'y a pas de page à cette adresse"
        await no_missing_label(page, "no page")
        assert await axe_violations(page) == [], "no page"
        bad = await page.goto(f"{site.url}/ui/deadlines?within=0")
        assert bad is not None and bad.status == 422
        await no_missing_label(page, "bad input")

        await page.set_viewport_size(PHONE)
        for name in ("portfolio", "project", "deadlines", "forecast", "policy"):
            await page.goto(f"{site.url}{walked[name]}")
            await no_missing_label(page, name)
            await shot(page, f"fr-{name}-phone")
    finally:
        await context.close()
