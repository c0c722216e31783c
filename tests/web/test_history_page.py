"""The project page's history in French, in Chromium: sentences with their facts, the
reminders folded under what they remind of, no raw event type as the main text, the
record's facts kept in small type; axe-core finds nothing."""

from __future__ import annotations

import re
from datetime import timedelta

from domain.events import EVENT_TYPES
from tests.api.conftest import PEOPLE
from tests.api.test_api import approved
from tests.web.axe import axe_violations
from tests.web.conftest import shot


async def a_late_year(site, ts_env) -> str:
    """An IRP approved, its first report late: the second tranche withheld, then paid once
    the report is accepted; reminders sent before and after."""
    pid = await approved(site.api, ts_env)
    await ts_env.sleep(timedelta(days=400))  # the report's deadline and the tranche's pass
    r = await site.api.post(
        "coordinator", f"/projects/{pid}/reports/term1-year1", {"summary": "two workshops"}
    )
    assert r.status_code == 200, r.text
    r = await site.api.post(
        "derci_officer",
        f"/projects/{pid}/reports/term1-year1/review",
        {"accept": True, "reason": "complet"},
    )
    assert r.status_code == 200, r.text
    await ts_env.sleep(timedelta(days=2))  # the withheld tranche is paid
    return pid


async def test_the_history_reads_as_french_sentences_with_reminders_folded(site, browser, ts_env):
    pid = await a_late_year(site, ts_env)
    record = (await site.api.get("auditor", f"/projects/{pid}/history")).json()["events"]
    kinds = [e["type"] for e in record]
    assert {"TrancheWithheld", "TrancheReleased", "ReportSubmitted"} <= set(kinds), kinds
    reminders = kinds.count("ReminderSent")
    assert reminders >= 2

    context = await browser.new_context(locale="en-GB")  # signs in, then reads in French
    page = await context.new_page()
    try:
        await site.sign_in(page, "institute_officer")
        await page.goto(f"{site.url}/ui/projects/{pid}?lang=fr")
        told = page.locator("#history > li > p.told")
        sentences = await told.all_inner_texts()
        # one line per step; the reminders are not lines of their own
        assert (
            len(sentences)
            == len(kinds)
            - reminders
            + await page.locator("#history > li[data-type=ReminderSent]").count()
        )
        assert len(sentences) < len(kinds)
        for text in sentences:
            assert not any(name in text for name in EVENT_TYPES), text
            assert not re.search(r"\d{4}-\d{2}-\d{2}", text), text  # days as people write
        text = "\n".join(sentences)
        officer = PEOPLE["institute_officer"].name
        assert f"Approuvé par {officer} (chargé·e de mission d'institut), 60\u202f000 EUR" in text
        assert "Évaluation de" in text and "financer (science 5/5)" in text
        assert re.search(
            r"Tranche 2 sur 5 retenue \(12\u202f000 EUR\)\xa0: rapport term1-year1", text
        )
        assert re.search(r"Tranche 2 sur 5 versée .*avec \d+ jours de retard", text)
        assert re.search(r"Rapport term1-year1 déposé par .*avec \d+ jours? de retard", text)
        assert "Recevabilité confirmée automatiquement" in text

        # the reminders, folded: "N rappels" under what they remind of
        summaries = await page.locator("#history details.reminders > summary").all_inner_texts()
        assert summaries and all(re.fullmatch(r"\d+ rappels?", s) for s in summaries)
        folded = page.locator("#history details.reminders li")
        assert await folded.count() == reminders
        for step in ("ReportSubmitted", "TrancheWithheld"):  # reminded of; then chased
            under = page.locator(f"#history > li[data-type={step}] details.reminders")
            assert await under.count() == 1, step
        assert not await folded.first.is_visible()
        await page.locator("#history details.reminders > summary").first.click()
        assert await folded.first.is_visible()
        assert (await folded.first.inner_text()).startswith(tuple("0123456789"))

        # the record's own facts stay, in small type, for auditors
        approval = page.locator("#history > li[data-type=ApplicationApproved]")
        assert "ApplicationApproved · v" in await approval.locator(".meta").inner_text()
        assert "insu-dupont (institute_officer)" in await approval.locator(".meta").inner_text()

        # the timeline says when the tranche was withheld and when it was paid
        tranche = await page.locator("#live .years li").nth(1).inner_text()
        assert "retenue le" in tranche and "versée le" in tranche, tranche
        await shot(page, "history-fr")
        assert await axe_violations(page) == []
    finally:
        await context.close()
