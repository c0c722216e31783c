"""The money ahead (/ui/forecast) and the policy's versions (/ui/policy), in Chromium against
the real app: the forecast's table per year agrees with the API's answer to the euro, its
stacked chart has one colour per category (app.css's), its form asks from which year and how
many; a coordinator reads their own, a reviewer is refused; the policy page shows the version
in force and every version, read-only, to officers and auditors only. Amounts as each
language writes them; axe-core finds nothing, in both languages and at phone size."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from jinja2 import Environment

from application.service import assemble
from tests.api.conftest import PEOPLE
from tests.api.test_api import active
from tests.web.axe import axe_violations
from tests.web.conftest import a_page, shot
from tests.web.test_portfolio_page import _RGB, PHONE
from web.ahead_pages import CATEGORIES
from web.narration import NNBSP
from web.pages import _eur

LANGS = pytest.mark.parametrize("lang", ["en", "fr"])
# what reaches past the screen's right edge (a wide table scrolls in its own box instead)
WIDER = """() => [...document.querySelectorAll('body *')].filter(e =>
    !e.closest('.table-scroll') && e.getBoundingClientRect().right > window.innerWidth + 1
  ).map(e => e.tagName + '#' + e.id + '.' + e.className)"""


def test_amounts_as_the_pages_language_writes_them():
    env = Environment(autoescape=True)
    env.filters["eur"] = _eur
    shown = env.from_string("{{ 12000|eur }}|{{ 1234567|eur }}|{{ none|eur }}|{{ 0|eur }}")
    assert shown.render(lang="en") == "12,000|1,234,567||0"
    assert shown.render(lang="fr") == f"12{NNBSP}000|1{NNBSP}234{NNBSP}567||0"


async def charts_drawn(page) -> None:
    await page.wait_for_function("() => document.body.dataset.chartsDrawn === 'true'")


@LANGS
async def test_the_forecast_per_year_agrees_with_the_api_with_one_colour_per_category(
    site, browser, ts_env, lang
):
    pid = await active(site.api, ts_env)  # 60,000 EUR: tranche 1 paid, four ahead
    this_year = datetime.now(UTC).year
    answer = await site.api.get("derci_officer", "/forecast", years=6)
    rows = answer.json()["rows"]
    assert rows and pid
    context, page = await a_page(browser, lang)
    try:
        await site.sign_in(page, "derci_officer", lang)
        await page.locator("nav[aria-label=main] a[href='/ui/forecast']").click()
        await page.wait_for_url("**/ui/forecast")
        await charts_drawn(page)
        assert await page.locator(".forecast-year").count() == 5  # this year and four more
        await page.locator("#f-years").select_option("6")
        await page.locator("#forecast-form button[type=submit]").click()
        await page.wait_for_url(f"**/ui/forecast?from={this_year}&years=6")
        await charts_drawn(page)
        assert await page.locator(".forecast-year").count() == 6

        sep = NNBSP if lang == "fr" else ","
        for year in {r["year"] for r in rows}:
            section = page.locator(f"#year-{year}")
            total = section.locator("tfoot")
            for c in CATEGORIES:
                want = sum(r[f"{c}_eur"] for r in rows if r["year"] == year)
                shown = await total.locator(f"td[data-category={c}]").inner_text()
                assert shown == f"{want:,}".replace(",", sep), (year, c, shown)
        paid = await page.locator(f"#year-{this_year} tfoot td[data-category=paid]").inner_text()
        assert paid == f"12{sep}000"

        # the chart's stacks: one per category, coloured as the table's swatches
        drawn = await page.evaluate(
            """() => { const c = Chart.getChart('chart-forecast');
                 return c.data.datasets.map(d => [d.label, d.backgroundColor, d.data]); }"""
        )
        assert len(drawn) == len(CATEGORIES)
        for (label, colour, _), c in zip(drawn, CATEGORIES, strict=True):
            swatch = page.locator(f"#forecast-form ~ ul .ahead-{c}")
            assert await swatch.evaluate("e => getComputedStyle(e).backgroundColor") == (
                await page.evaluate(_RGB, colour)
            )
            assert label in await page.locator("thead").first.inner_text()
        assert sum(drawn[0][2]) == sum(r["paid_eur"] for r in rows)
        assert await axe_violations(page) == []
        await shot(page, f"forecast-{lang}")
        await page.set_viewport_size(PHONE)
        await page.wait_for_function(  # the chart redrawn to the narrower screen
            "() => document.getElementById('chart-forecast').getBoundingClientRect().right"
            " <= window.innerWidth",
            timeout=5000,
        )
        assert await page.evaluate(WIDER) == []
        assert await axe_violations(page) == []
        await shot(page, f"forecast-{lang}-phone")
    finally:
        await context.close()


async def test_a_coordinator_reads_their_own_forecast_a_reviewer_is_refused(site, browser, ts_env):
    await active(site.api, ts_env)
    context, page = await a_page(browser, "en")
    try:
        await site.sign_in(page, "other_coordinator", "en")
        await page.goto(f"{site.url}/ui/forecast")
        assert await page.locator("table.forecast").count() == 0  # none of theirs
        assert await page.locator("nav[aria-label=main] a[href='/ui/policy']").count() == 0
        await site.sign_in(page, "coordinator", "en")
        await page.goto(f"{site.url}/ui/forecast")
        assert "Your projects" in await page.locator("main .help").first.inner_text()
        assert await page.locator("table.forecast").count() >= 1
        assert await axe_violations(page) == []
        policy = await page.goto(f"{site.url}/ui/policy")
        assert policy is not None and policy.status == 403
        assert "officers and auditors" in await page.locator("#refusal").inner_text()

        await site.sign_in(page, "reviewer", "en")
        assert await page.locator("nav[aria-label=main] a[href='/ui/forecast']").count() == 0
        refused = await page.goto(f"{site.url}/ui/forecast?lang=fr")
        assert refused is not None and refused.status == 403
        assert (await page.locator("#refusal").inner_text()).startswith("Refusé")
        assert await page.locator("canvas").count() == 0
        assert await axe_violations(page) == []
        bad = await page.goto(f"{site.url}/ui/forecast?years=11&lang=en")
        assert bad is not None and bad.status == 422
    finally:
        await context.close()


@LANGS
async def test_the_policy_page_shows_the_version_in_force_and_every_version(
    site, browser, event_store, service, lang
):
    policies = assemble(event_store, service).policies
    today = datetime.now(UTC).date()
    document = {"funding": {"IRP": {"funding_min_eur": 40000, "funding_max_eur": 90000,
                                    "max_renewals": 1}}}  # fmt: skip
    await policies.set(PEOPLE["derci_officer"], document, today, "wider IRP range")
    context, page = await a_page(browser, lang)
    try:
        await site.sign_in(page, "auditor", lang)
        await page.locator("nav[aria-label=main] a[href='/ui/policy']").click()
        await page.wait_for_url("**/ui/policy")
        heading = await page.locator("#in-force-h").inner_text()
        assert "1" in heading and today.isoformat() in heading
        irp = page.locator("#funding tr[data-instrument=IRP] td")
        sep = NNBSP if lang == "fr" else ","
        assert await irp.all_inner_texts() == [f"40{sep}000", f"90{sep}000", "1"]
        versions = page.locator("#versions tbody tr")
        assert await versions.count() == 2
        newest = await versions.first.inner_text()
        assert "wider IRP range" in newest and PEOPLE["derci_officer"].person_id in newest
        assert await versions.first.get_attribute("aria-current") == "true"
        due = await page.locator("#report-due").inner_text()
        assert due.startswith("30 ")
        call = await page.locator("#call").inner_text()
        assert ("1 Jun" in call and "15 Sep" in call) if lang == "en" else "1er juin" in call
        assert await page.locator("main form").count() == 0  # read-only
        assert await axe_violations(page) == []
        await shot(page, f"policy-{lang}")
        await page.set_viewport_size(PHONE)
        assert await page.evaluate(WIDER) == []
        assert await axe_violations(page) == []
        await shot(page, f"policy-{lang}-phone")
    finally:
        await context.close()
